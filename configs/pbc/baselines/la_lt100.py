# Long-tail baseline on PBC-LT100: logit-adjusted cross-entropy (Menon et al.
# 2021, the loss form, tau = 1: softmax of z + log pi in training, plain z
# at test time), linear head.
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
            type='LogitAdjustedCrossEntropyLoss',
            class_counts=class_counts,
            tau=1.0)))
