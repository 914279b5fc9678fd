# Runtime shared by every classification config (mmpretrain scope).
_base_ = ['./default_runtime_common.py']
default_scope = 'mmpretrain'
visualizer = dict(
    type='UniversalVisualizer', vis_backends=_base_.vis_backends)
randomness = dict(seed=42, deterministic=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
