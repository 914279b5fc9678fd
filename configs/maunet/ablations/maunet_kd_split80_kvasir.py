# Ablation: curriculum split 80/20 (the public MicroAUNet code's effective
# split) instead of 60/40: the curriculum of
# configs/_base_/distill/curriculum_seg.py with the imitation stage ending at
# 80 % of training.
_base_ = ['../maunet_kd_kvasir.py']
_imitation, _preference = _base_.curriculum_hook.stages
custom_hooks = [
    dict(
        _base_.curriculum_hook,
        stages=[dict(_imitation, end=0.8), _preference]),
    dict(type='medproto.SafeCheckpointHook'),
]
