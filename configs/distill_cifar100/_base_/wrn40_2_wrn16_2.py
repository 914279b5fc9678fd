# wrn40_2 (teacher, 2.26M) -> wrn16_2 (student, 0.70M) on CIFAR-100.
# The method configs take their part from `distill_parts` (distill_parts.py),
# completed below with this pair's channels and shapes.
_base_ = ['../wrn16_2_cifar100.py', './distill_parts.py']
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
    fitnet=dict(
        connectors=dict(
            hint=dict(
                student_shape=(64, 16, 16), teacher_shape=(64, 16, 16)))),
    crd=dict(distill_losses=dict(loss_crd=dict(s_dim=128, t_dim=128))),
    # mdistiller's per-pair beta for wrn40_2 -> wrn16_2.
    dkd=dict(distill_losses=dict(loss_dkd=dict(beta=6.0))),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                in_channels=[32, 64, 128, 128],
                out_channels=[32, 64, 128, 128],
                loss_weight=1.0))),
)
