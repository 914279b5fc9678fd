# What the classification and the segmentation runtimes share
# (default_runtime_cls.py, default_runtime_seg.py); not a runtime on its own
# (no default_scope, visualizer or default_hooks).
custom_imports = dict(imports=['medproto'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # 'nccl' on GPUs; tools switch to 'gloo' on CPU-only machines.
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
log_level = 'INFO'
load_from = None
resume = False
# tools/train.py adds these when a config's custom_hooks lacks them:
# weights-only checkpoints, random generators saved for an exact resume, a
# stop at the first NaN / infinite loss (action='skip' skips such steps, at
# most max_skips times) and, under DDP, losses logged as the mean over ranks.
custom_hooks = [
    dict(type='medproto.SafeCheckpointHook'),
    dict(type='medproto.RngStateHook'),
    dict(type='medproto.NonFiniteLossHook', action='stop'),
    dict(type='medproto.RankMeanLossHook'),
]
