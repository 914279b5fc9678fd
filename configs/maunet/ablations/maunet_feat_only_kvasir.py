# Ablation: skip-feature alignment only, throughout training.
_base_ = ['../maunet_kd_kvasir.py']
custom_hooks = [
    dict(type='medproto.CurriculumDistillHook',
         stages=[dict(name='imitation', end=1.0, losses=['loss_feat'])]),
    dict(type='medproto.SafeCheckpointHook'),
]
