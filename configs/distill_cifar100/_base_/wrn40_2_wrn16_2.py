# wrn40_2 (teacher, 2.26M) -> wrn16_2 (student, 0.70M) on CIFAR-100.
# The method configs take their part from `distill_parts` below, which holds
# every method with this pair's channels and shapes.
_base_ = [
    '../wrn16_2_cifar100.py', '../../_base_/distill/cls_recorders.py',
    '../../_base_/distill/kd.py', '../../_base_/distill/fitnet.py',
    '../../_base_/distill/at.py', '../../_base_/distill/rkd.py',
    '../../_base_/distill/crd.py', '../../_base_/distill/dkd.py',
    '../../_base_/distill/reviewkd.py'
]
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(
        _base_.model,
        backbone=dict(type='CifarWideResNet', arch='wrn40_2')),
    # Train it with configs/distill_cifar100/wrn40_2_cifar100.py.
    teacher_ckpt='work_dirs/wrn40_2_cifar100/epoch_240.pth',
    student_recorders=_base_.cls_recorders,
    teacher_recorders=dict(
        _base_.cls_recorders,
        # Pre-activations: the next stage's first BN applied to a stage
        # output, and the final BN for the last stage (as mdistiller).
        preact1='backbone.layer2.0.bn1',
        preact2='backbone.layer3.0.bn1',
        preact3='backbone.final_norm'),
    task_loss_weight=1.0)
distill_parts = dict(
    kd=dict(
        distill_losses=dict(loss_kd=_base_.kd_loss),
        task_loss_weight=_base_.kd_task_loss_weight),
    fitnet=dict(
        connectors=dict(
            hint=dict(
                _base_.fitnet_connector,
                student_shape=(64, 16, 16),
                teacher_shape=(64, 16, 16))),
        distill_losses=dict(loss_fitnet=_base_.fitnet_loss)),
    at=dict(distill_losses=dict(loss_at=_base_.at_loss)),
    rkd=dict(distill_losses=dict(loss_rkd=_base_.rkd_loss)),
    crd=dict(
        distill_losses=dict(
            loss_crd=dict(
                _base_.crd_loss, s_dim=128, t_dim=128, num_data=50000))),
    # mdistiller's per-pair beta for wrn40_2 -> wrn16_2.
    dkd=dict(distill_losses=dict(loss_dkd=dict(_base_.dkd_loss, beta=6.0))),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                _base_.reviewkd_loss,
                in_channels=[32, 64, 128, 128],
                out_channels=[32, 64, 128, 128],
                shapes=[32, 16, 8, 1],
                loss_weight=1.0))),
)
