# DualConvNeXtSwin 'nano' (timm ConvNeXt + Swin branches, interleaved) fused
# by MHF_block_v2 + AMAFDSGModule at all four stages (adaptive local/global
# channel + 3x3/5x5 spatial attention, dynamic scaling gate initialised to
# zero) + global average pooling + linear classifier. Inputs must be
# multiples of 32.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DualConvNeXtSwin',
        arch='nano',
        fusion=dict(type='MHFBlockV2', enhancement='amafdsg'),
        fusion_drop_rates=(0., 0.1, 0.2, 0.2),
        drop_path_rate=0.1,
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
