# The imitation stage only (maunet_kd_lite0_imitation_kvasir.py: pixel KD
# ramped up and skip alignment ramped down over the whole run, no preference
# stage) read from the teacher-output cache of
# maunet_kd_lite0_cached_kvasir.py: the same teacher, recorders, pipeline
# and K = 8 views, so one cache serves both. Build it once as that config
# says; the teacher does not run during training.
_base_ = ['./maunet_kd_lite0_imitation_kvasir.py']

teacher_cache = 'work_dirs/teacher_cache/lite0_kvasir_k8'

# one of the K = 8 stored views per sample (datasets/binary_seg_folder.py)
train_pipeline = _base_.view_train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(teacher_cache=teacher_cache)

# the imitation stage of the parent, the cache's check, safe checkpoints
custom_hooks = [
    _base_.custom_hooks[0],
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
