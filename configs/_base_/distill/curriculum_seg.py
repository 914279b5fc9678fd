# Curriculum KD of MicroAUNet as intended (Wang et al., 2025): an
# imitation stage (first 60 % of training) with the logit KD term ramped up
# by w(t) = 0.5 * (1 - cos(pi * t / T)) and the feature alignment ramped
# down by 1 - w(t) (the paper's w_mimic = 1 - w_KL, which the public code
# logs but never applies), then a preference stage with pixel InfoNCE and an
# L2 output term. The loss names must match the distiller's distill_losses.
# Use as
# custom_hooks = [
#     _base_.curriculum_hook, dict(type='medproto.SafeCheckpointHook')]
curriculum_hook = dict(
    type='medproto.CurriculumDistillHook',
    stages=[
        dict(
            name='imitation',
            end=0.6,
            losses=['loss_kd', 'loss_feat'],
            ramp=dict(
                loss_kd='cosine',
                loss_feat=dict(type='cosine', direction='fall'))),
        dict(name='preference', end=1.0, losses=['loss_nce', 'loss_l2']),
    ])
