# Pixel KD alone from the pretrained teacher's cached logits into MAUNet on
# Kvasir-SEG: the two-class pixel KD term ramped up by the cosine
# w(t) = 0.5 * (1 - cos(pi * t / T)) over the whole run, beside the task loss
# (BCE + Dice); no skip alignment, no preference stage. The term ablation of
# maunet_kd_lite0_imitation_cached_kvasir.py that drops its feature term,
# read from the same teacher-output cache (maunet_kd_lite0_cached_kvasir.py).
_base_ = ['./maunet_kd_lite0_cached_kvasir.py']

model = dict(
    connectors=dict(_delete_=True),  # no term reads a connector
    distill_losses=dict(_delete_=True, loss_kd=_base_.binary_kd_loss))

custom_hooks = [
    dict(
        type='medproto.CurriculumDistillHook',
        stages=[dict(name='imitation', end=1.0, losses=['loss_kd'],
                     ramp=dict(loss_kd='cosine'))]),
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
