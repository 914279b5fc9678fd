# FitNet + CRD distillation wrn40_2 -> wrn16_2 on CIFAR-100: both methods'
# losses, one task loss.
_base_ = ['./_base_/wrn40_2_wrn16_2.py']
model = dict(
    connectors=dict(hint=_base_.fitnet_connector),
    distill_losses=dict(
        loss_fitnet=_base_.fitnet_loss,
        loss_crd=_base_.crd_loss))
