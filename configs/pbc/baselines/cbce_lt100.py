# Long-tail baseline on PBC-LT100: class-balanced cross-entropy (Cui et al.
# 2019, effective number, beta 0.9999, training-set counts), linear head
# (the training of configs/pbc/dual_nano_linear_cb_lt100.py). Post-hoc test
# options of the head as in ce_lt100.py.
_base_ = [
    '../../_base_/models/dual_nano_linear.py', '../_base_/pbc_lt100_cpu.py'
]
class_counts = _base_.class_counts
model = dict(
    head=dict(
        type='PostHocLinearClsHead',
        class_counts=class_counts,
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=class_counts,
            beta=0.9999)))
