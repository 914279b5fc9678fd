# AT distillation wrn40_2 -> wrn16_2 on CIFAR-100.
_base_ = ['./_base_/wrn40_2_wrn16_2.py']
model = dict(
    distill_losses=dict(loss_at=_base_.at_loss))
