# FitNet + RKD distillation resnet32x4 -> resnet8x4 on CIFAR-100: both
# methods' losses, one task loss.
_base_ = ['./_base_/r32x4_r8x4.py']
model = dict(
    connectors=dict(hint=_base_.fitnet_connector),
    distill_losses=dict(
        loss_fitnet=_base_.fitnet_loss,
        loss_rkd=_base_.rkd_loss))
