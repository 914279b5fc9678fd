# AT distillation resnet32x4 -> resnet8x4 on CIFAR-100.
_base_ = ['./_base_/r32x4_r8x4.py']
model = dict(
    distill_losses=dict(loss_at=_base_.at_loss))
