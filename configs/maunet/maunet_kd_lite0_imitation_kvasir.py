# The imitation stage only, from the pretrained teacher into MAUNet on
# Kvasir-SEG, for the term ablation of docs/results.md: pixel KD ramped up
# and skip alignment ramped down over the whole run (the cosines of
# maunet_kd_lite0_kvasir.py stretched from 60 % to 100 % of it), no
# preference stage (no InfoNCE, no L2).
_base_ = ['./maunet_kd_lite0_kvasir.py']

model = dict(
    # no embedding connector: no term reads it
    connectors=dict(_delete_=True, **_base_.skip_connectors),
    distill_losses=dict(_delete_=True, loss_kd=_base_.binary_kd_loss,
                        loss_feat=_base_.model.distill_losses.loss_feat))
custom_hooks = [
    _base_.imitation_only_hook,
    dict(type='medproto.SafeCheckpointHook'),
]
