# Ablation: curriculum split 80/20 (the public MicroAUNet code's effective
# split) instead of 60/40.
_base_ = ['../maunet_kd_kvasir.py']
custom_hooks = [
    dict(type='medproto.CurriculumDistillHook',
         stages=[dict(name='imitation', end=0.8, losses=['loss_kd', 'loss_feat'],
                      ramp=dict(loss_kd='cosine',
                                loss_feat=dict(type='cosine',
                                               direction='fall'))),
                 dict(name='preference', end=1.0,
                      losses=['loss_nce', 'loss_l2'])]),
    dict(type='medproto.SafeCheckpointHook'),
]
