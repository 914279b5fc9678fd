# DualConvNeXtSwin 'nano' (timm ConvNeXt + Swin branches, MHF_block fusion at
# all four stages, interleaved) + global average pooling + linear classifier.
# 4.9M parameters, 0.25 GMACs at 128x128. Inputs must be multiples of 32.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DualConvNeXtSwin',
        arch='nano',
        fusion=dict(type='MHFBlock'),
        fusion_drop_rates=(0., 0.1, 0.2, 0.2),
        drop_path_rate=0.1,
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
