# kd + fitnet: both methods' losses, one task loss.
_base_ = ['./kd_wrn40_2_wrn16_2_cifar100.py']
model = _base_.distill_parts.fitnet
