# KD + RKD distillation resnet32x4 -> resnet8x4 on CIFAR-100: both methods'
# losses, one task loss.
_base_ = ['./_base_/r32x4_r8x4.py']
model = dict(
    distill_losses=dict(
        loss_kd=_base_.kd_loss,
        loss_rkd=_base_.rkd_loss),
    task_loss_weight=_base_.kd_task_loss_weight)
