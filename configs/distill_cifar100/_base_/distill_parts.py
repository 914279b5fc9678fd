# Every distillation method's part of a CIFAR-100 distiller, `distill_parts`,
# with what does not depend on the teacher / student pair: the method pieces
# of configs/_base_/distill, CRD's 50000 training images and Review KD's
# stage sizes of a 32x32 input. The pair configs (r32x4_r8x4.py,
# wrn40_2_wrn16_2.py) add their channels, shapes and per-pair weights; a
# method config takes its part as `model = _base_.distill_parts.<method>`.
_base_ = [
    '../../_base_/distill/cls_recorders.py', '../../_base_/distill/kd.py',
    '../../_base_/distill/fitnet.py', '../../_base_/distill/at.py',
    '../../_base_/distill/rkd.py', '../../_base_/distill/crd.py',
    '../../_base_/distill/dkd.py', '../../_base_/distill/reviewkd.py'
]
distill_parts = dict(
    kd=dict(
        distill_losses=dict(loss_kd=_base_.kd_loss),
        task_loss_weight=_base_.kd_task_loss_weight),
    fitnet=dict(
        connectors=dict(hint=_base_.fitnet_connector),
        distill_losses=dict(loss_fitnet=_base_.fitnet_loss)),
    at=dict(distill_losses=dict(loss_at=_base_.at_loss)),
    rkd=dict(distill_losses=dict(loss_rkd=_base_.rkd_loss)),
    crd=dict(
        distill_losses=dict(loss_crd=dict(_base_.crd_loss, num_data=50000))),
    dkd=dict(distill_losses=dict(loss_dkd=_base_.dkd_loss)),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(_base_.reviewkd_loss, shapes=[32, 16, 8, 1]))),
)
