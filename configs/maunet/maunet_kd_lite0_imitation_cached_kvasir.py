# The imitation stage only (as maunet_kd_lite0_imitation_kvasir.py: pixel KD
# ramped up and skip alignment ramped down over the whole run, no preference
# stage) read from the teacher-output cache of
# maunet_kd_lite0_cached_kvasir.py: the same teacher, recorders, pipeline
# and K = 8 views, so one cache serves both. Build it once as that config
# says; the teacher does not run during training.
_base_ = ['./maunet_kd_lite0_kvasir.py']

# the stored views (datasets/binary_seg_folder.py) and their cache
train_pipeline = _base_.view_train_pipeline + [
    _base_.lite0_kvasir_cache_loader]  # the workers read the cache
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    teacher_cache=_base_.lite0_kvasir_cache,
    connectors=dict(_delete_=True, **_base_.skip_connectors),
    distill_losses=dict(_delete_=True, loss_kd=_base_.binary_kd_loss,
                        loss_feat=_base_.model.distill_losses.loss_feat))

# the imitation stage, the cache's check, safe checkpoints
custom_hooks = [
    _base_.imitation_only_hook,
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
