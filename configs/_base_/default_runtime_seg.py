# Runtime shared by every segmentation config (mmseg scope).
_base_ = ['./default_runtime_common.py']
default_scope = 'mmseg'
visualizer = dict(
    type='BinarySegVisualizer',
    vis_backends=_base_.vis_backends,
    name='visualizer')
log_processor = dict(by_epoch=False)
randomness = dict(seed=42)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=500,
        max_keep_ckpts=2,
        save_best='Dice',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
