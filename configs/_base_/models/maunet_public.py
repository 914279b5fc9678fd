# MAUNet with the public MicroAUNet layers (GroupNorm(4), NCHW, 1x1 depthwise
# convs in the LDGA helpers, DWDConv stem, blocks at full size before
# pooling): the
# reference for medproto's speed changes (docs/results.md), e.g.
#   python tools/analysis_tools/benchmark_seg.py \
#       --student configs/_base_/models/maunet_public.py
_base_ = ['./maunet.py']
model = dict(
    backbone=dict(
        norm_cfg=dict(type='GN', num_groups=4),
        channels_last=False,
        dw_in_1x1=True,
        norm_after_pool=False,
        downsample_first=False,
        stem='dwd'))
