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
# Each stage alone for the whole run (the term ablations of the curriculum):
# the imitation stage with its ramps stretched over the run, or the
# preference stage from the first iteration.
imitation_only_hook = dict(
    type='medproto.CurriculumDistillHook',
    stages=[dict(curriculum_hook['stages'][0], end=1.0)])
preference_only_hook = dict(
    type='medproto.CurriculumDistillHook',
    stages=[curriculum_hook['stages'][1]])
# The hooks of the curriculum run from a teacher-output cache (a config that
# sets the distiller's `teacher_cache`): the curriculum, the cache's check
# against this run's pipeline, data files and K, and safe checkpoints.
cached_curriculum_hooks = [
    curriculum_hook,
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
