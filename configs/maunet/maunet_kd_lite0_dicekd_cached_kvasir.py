# The cached curriculum of maunet_kd_lite0_cached_kvasir.py plus one term on
# in both stages: a soft-Dice KD term between the student's and the
# teacher's foreground maps (DiceKDLoss). The pixel-averaged output terms
# (loss_kd, loss_l2) are dominated by the background; this one is
# normalised by the foreground, as the task loss's Dice term is.
# Its control is the student alone with the same extra Dice weight on the
# ground truth (configs/maunet/maunet_dice2_kvasir.py). Reads the cache of
# maunet_kd_lite0_cached_kvasir.py (build it as that file says).
_base_ = ['./maunet_kd_lite0_kvasir.py']

# one of the K = 8 stored views per sample (datasets/binary_seg_folder.py)
train_pipeline = _base_.view_train_pipeline + [
    _base_.lite0_kvasir_cache_loader]  # the workers read the cache
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    teacher_cache=_base_.lite0_kvasir_cache,
    distill_losses=dict(
        loss_dice_kd=dict(
            type='medproto.DiceKDLoss',
            tau=1.0,
            loss_weight=1.0,
            inputs=dict(preds_S='s.logits', preds_T='t.logits'))))

custom_hooks = [
    dict(_base_.curriculum_hook, always=['loss_dice_kd']),
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
