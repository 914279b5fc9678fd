# Pretrained teacher on Kvasir-SEG: EfficientNet-Lite0 (ImageNet) + U-Net
# decoder, fine-tuned with MALUNet's recipe (AdamW, cosine, BCE + Dice) on
# the same data, pipeline and budget as the students; the pretrained
# encoder learns at a tenth of the decoder's rate.
_base_ = [
    '../_base_/models/effnet_lite0_unet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py'
]
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'backbone.encoder': dict(lr_mult=0.1)}))
