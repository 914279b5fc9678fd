# at + crd: both methods' losses, one task loss.
_base_ = ['./at_micro_nano_proto5_lt100.py']
model = _base_.distill_parts.crd
