# wrn40_2 (teacher, 2.26M) -> wrn16_2 (student, 0.70M) on CIFAR-100 with
# mdistiller's data and schedule. A method config places its terms from
# configs/_base_/distill/losses.py, completed below with this pair's
# channels and shapes and CIFAR-100's sizes.
_base_ = [
    '../../_base_/default_runtime_cls.py', './cifar100_bs64.py',
    './schedule_sgd_240e.py', './classifier.py',
    '../../_base_/distill/cls_recorders.py', '../../_base_/distill/losses.py'
]
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    # the model of configs/distill_cifar100/wrn16_2_cifar100.py
    student=dict(
        _base_.model,
        backbone=dict(type='CifarWideResNet', arch='wrn16_2'),
        head=dict(_base_.model.head, in_channels=128)),
    teacher=dict(
        _base_.model,
        backbone=dict(type='CifarWideResNet', arch='wrn40_2'),
        head=dict(_base_.model.head, in_channels=128)),
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

# The losses of losses.py on this pair: CRD has 50000 training images;
# Review KD's stage sizes at a 32x32 input; mdistiller's per-pair DKD beta.
fitnet_connector = dict(
    student_shape=(64, 16, 16), teacher_shape=(64, 16, 16))
crd_loss = dict(num_data=50000, s_dim=128, t_dim=128)
dkd_loss = dict(beta=6.0)
reviewkd_loss = dict(
    shapes=[32, 16, 8, 1],
    in_channels=[32, 64, 128, 128],
    out_channels=[32, 64, 128, 128],
    loss_weight=1.0)
