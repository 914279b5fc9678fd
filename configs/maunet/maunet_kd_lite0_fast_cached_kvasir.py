# The cached curriculum of maunet_kd_lite0_cached_kvasir.py (the same cache,
# teacher, terms and curriculum) with its two cheaper settings: the skip
# alignment compares the 128x128 and 64x64 skips as 32x32 block means
# (max_side=32 on their connectors and on the loss), and pixel InfoNCE
# samples 64 pixels per class and image instead of 256. A cheaper method,
# not the same one; docs/results.md compares both on Kvasir-SEG.
_base_ = ['./maunet_kd_lite0_kvasir.py']

train_pipeline = _base_.view_train_pipeline + [
    _base_.lite0_kvasir_cache_loader]  # the workers read the cache
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    connectors=dict(skip1=dict(max_side=32), skip2=dict(max_side=32)),
    teacher_cache=_base_.lite0_kvasir_cache,
    distill_losses=dict(
        loss_feat=dict(max_side=32), loss_nce=dict(num_samples=64)))

# the curriculum, the cache's check, safe checkpoints
custom_hooks = _base_.cached_curriculum_hooks
