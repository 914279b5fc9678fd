# The imitation stage only, from the pretrained teacher into MAUNet on
# Kvasir-SEG, for the term ablation of docs/results.md: pixel KD ramped up
# and skip alignment ramped down over the whole run (the cosines of
# maunet_kd_lite0_kvasir.py stretched from 60 % to 100 % of it), no
# preference stage (no InfoNCE, no L2).
_base_ = ['./maunet_kd_lite0_kvasir.py']

model = dict(
    # no embedding connector: no term reads it
    connectors=dict(
        _delete_=True,
        **{f'skip{i}': _base_.connectors[f'skip{i}'] for i in range(1, 6)}),
    distill_losses=dict(_delete_=True, loss_kd=_base_.binary_kd_loss,
                        loss_feat=_base_.model.distill_losses.loss_feat))
custom_hooks = [
    dict(
        type='medproto.CurriculumDistillHook',
        stages=[
            dict(
                name='imitation',
                end=1.0,
                losses=['loss_kd', 'loss_feat'],
                ramp=dict(
                    loss_kd='cosine',
                    loss_feat=dict(type='cosine', direction='fall')))
        ]),
    dict(type='medproto.SafeCheckpointHook'),
]
