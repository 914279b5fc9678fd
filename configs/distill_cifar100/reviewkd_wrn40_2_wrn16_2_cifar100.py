_base_ = ['./_base_/wrn40_2_wrn16_2.py']
model = _base_.distill_parts.reviewkd
