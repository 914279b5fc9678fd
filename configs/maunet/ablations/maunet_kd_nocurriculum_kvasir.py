# Ablation: no curriculum, every term (KD, features, InfoNCE, L2) throughout,
# KD at full weight from the first iteration.
_base_ = ['../maunet_kd_kvasir.py']
custom_hooks = [
    dict(type='medproto.CurriculumDistillHook',
         stages=[dict(name='all', end=1.0,
                      losses=['loss_kd', 'loss_feat', 'loss_nce', 'loss_l2'])]),
    dict(type='medproto.SafeCheckpointHook'),
]
