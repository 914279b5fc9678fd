# Ablation: pixel KD only (imitation stage throughout, no feature alignment,
# no preference stage).
_base_ = ['../maunet_kd_kvasir.py']
custom_hooks = [
    dict(type='medproto.CurriculumDistillHook',
         stages=[dict(name='imitation', end=1.0, losses=['loss_kd'],
                      ramp=dict(loss_kd='cosine'))]),
    dict(type='medproto.SafeCheckpointHook'),
]
