# The preference stage only, from the pretrained teacher's cached outputs
# into MAUNet on Kvasir-SEG: pixel InfoNCE on the decoder embeddings (the
# teacher's as positives) and L2 between the probabilities, beside the task
# loss (BCE + Dice), for the whole run; no imitation stage (no pixel KD, no
# skip alignment). The term ablation of maunet_kd_lite0_cached_kvasir.py
# that drops its first stage, read from the same teacher-output cache.
_base_ = ['./maunet_kd_lite0_kvasir.py']

# one of the K = 8 stored views per sample, whose teacher outputs the
# cache holds
train_pipeline = _base_.view_train_pipeline + [
    _base_.lite0_kvasir_cache_loader]  # the workers read the cache
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    # only the embedding connector: no term reads the skips
    connectors=dict(_delete_=True, embed=_base_.connectors.embed),
    teacher_cache=_base_.lite0_kvasir_cache,
    distill_losses=dict(
        _delete_=True,
        loss_nce=_base_.model.distill_losses.loss_nce,
        loss_l2=_base_.l2_loss))

# the preference stage, the cache's check, safe checkpoints
custom_hooks = [
    _base_.preference_only_hook,
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
