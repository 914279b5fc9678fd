# resnet32x4 (teacher, 7.43M) -> resnet8x4 (student, 1.23M) on CIFAR-100.
# The method configs take their part from `distill_parts` (distill_parts.py),
# completed below with this pair's channels and shapes.
_base_ = ['../resnet8x4_cifar100.py', './distill_parts.py']
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
    fitnet=dict(
        connectors=dict(
            hint=dict(
                student_shape=(128, 16, 16), teacher_shape=(128, 16, 16)))),
    crd=dict(distill_losses=dict(loss_crd=dict(s_dim=256, t_dim=256))),
    dkd=dict(distill_losses=dict(loss_dkd=dict(beta=8.0))),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                in_channels=[64, 128, 256, 256],
                out_channels=[64, 128, 256, 256],
                loss_weight=5.0))),
)
