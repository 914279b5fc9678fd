_base_ = ['./_base_/micro_nano_proto5.py']
model = _base_.distill_parts.fitnet
