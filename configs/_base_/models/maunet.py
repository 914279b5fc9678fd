# MAUNet / MicroAUNet student as an mmseg EncoderDecoder: MALUNet's data
# preprocessor, BinarySegHead and BCE + Dice (malunet.py) with the MAUNet
# backbone (DWDConv, LDGA, LSCAB), whose last decoder feature is
# 8 x H/2 x W/2.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='MAUNet', c_list=(8, 16, 24, 32, 48, 64), bridge=True,
                  out_indices=(4, )),
    decode_head=dict(
        type='BinarySegHead',
        in_channels=8,
        threshold=0.5,
        align_corners=False,
        loss_decode=dict(type='BceDiceLoss', bce_weight=1.0, dice_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
