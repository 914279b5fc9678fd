# fitnet + crd: both methods' losses, one task loss.
_base_ = ['./fitnet_r32x4_r8x4_cifar100.py']
model = _base_.distill_parts.crd
