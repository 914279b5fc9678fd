_base_ = ['./_base_/r32x4_r8x4.py']
model = _base_.distill_parts.reviewkd
