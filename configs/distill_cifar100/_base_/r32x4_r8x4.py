# resnet32x4 (teacher, 7.43M) -> resnet8x4 (student, 1.23M) on CIFAR-100 with
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
    # the model of configs/distill_cifar100/resnet8x4_cifar100.py
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

# The losses of losses.py on this pair: CRD has 50000 training images;
# Review KD's stage sizes at a 32x32 input.
fitnet_connector = dict(
    student_shape=(128, 16, 16), teacher_shape=(128, 16, 16))
crd_loss = dict(num_data=50000, s_dim=256, t_dim=256)
dkd_loss = dict(beta=8.0)
reviewkd_loss = dict(
    shapes=[32, 16, 8, 1],
    in_channels=[64, 128, 256, 256],
    out_channels=[64, 128, 256, 256],
    loss_weight=5.0)
