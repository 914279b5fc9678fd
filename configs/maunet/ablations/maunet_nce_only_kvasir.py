# Ablation: pixel InfoNCE (contrastive) only, throughout training.
_base_ = ['../maunet_kd_kvasir.py']
custom_hooks = [
    dict(type='medproto.CurriculumDistillHook',
         stages=[dict(name='preference', end=1.0, losses=['loss_nce'])]),
    dict(type='medproto.SafeCheckpointHook'),
]
