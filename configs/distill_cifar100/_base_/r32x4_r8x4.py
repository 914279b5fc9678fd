# resnet32x4 (teacher, 7.43M) -> resnet8x4 (student, 1.23M) on CIFAR-100.
# The method configs take their part from `distill_parts` below, which holds
# every method with this pair's channels and shapes.
_base_ = [
    '../resnet8x4_cifar100.py', '../../_base_/distill/cls_recorders.py',
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
        _base_.model, backbone=dict(type='CifarResNet', arch='resnet32x4')),
    # Train it with configs/distill_cifar100/resnet32x4_cifar100.py.
    teacher_ckpt='work_dirs/resnet32x4_cifar100/epoch_240.pth',
    student_recorders=_base_.cls_recorders,
    teacher_recorders=dict(
        _base_.cls_recorders,
        # Pre-activation sums of the last block of each stage (5 blocks).
        preact1='backbone.layer1.4.out_act:input',
        preact2='backbone.layer2.4.out_act:input',
        preact3='backbone.layer3.4.out_act:input'),
    task_loss_weight=1.0)
distill_parts = dict(
    kd=dict(
        distill_losses=dict(loss_kd=_base_.kd_loss),
        task_loss_weight=_base_.kd_task_loss_weight),
    fitnet=dict(
        connectors=dict(
            hint=dict(
                _base_.fitnet_connector,
                student_shape=(128, 16, 16),
                teacher_shape=(128, 16, 16))),
        distill_losses=dict(loss_fitnet=_base_.fitnet_loss)),
    at=dict(distill_losses=dict(loss_at=_base_.at_loss)),
    rkd=dict(distill_losses=dict(loss_rkd=_base_.rkd_loss)),
    crd=dict(
        distill_losses=dict(
            loss_crd=dict(
                _base_.crd_loss, s_dim=256, t_dim=256, num_data=50000))),
    dkd=dict(distill_losses=dict(loss_dkd=dict(_base_.dkd_loss, beta=8.0))),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                _base_.reviewkd_loss,
                in_channels=[64, 128, 256, 256],
                out_channels=[64, 128, 256, 256],
                shapes=[32, 16, 8, 1],
                loss_weight=5.0))),
)
