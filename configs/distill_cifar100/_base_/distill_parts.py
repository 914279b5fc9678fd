# Every distillation method's part of a CIFAR-100 distiller, `distill_parts`
# (configs/_base_/distill/cls_distill_parts.py), with what does not depend
# on the teacher / student pair: CRD's 50000 training images and Review KD's
# stage sizes of a 32x32 input. The pair configs (r32x4_r8x4.py,
# wrn40_2_wrn16_2.py) add their channels, shapes and per-pair weights; a
# method config takes its part as `model = _base_.distill_parts.<method>`.
_base_ = [
    '../../_base_/distill/cls_recorders.py',
    '../../_base_/distill/cls_distill_parts.py'
]
distill_parts = dict(
    crd=dict(distill_losses=dict(loss_crd=dict(num_data=50000))),
    reviewkd=dict(
        distill_losses=dict(loss_reviewkd=dict(shapes=[32, 16, 8, 1]))),
)
