# Long-tail baseline on PBC-LT100: plain cross-entropy, linear head (the
# training of configs/pbc/dual_nano_linear_lt100.py). The head is
# PostHocLinearClsHead, equal to LinearClsHead unless a test option is set:
#   post-hoc logit adjustment (Menon et al. 2021): --cfg-options
#       model.head.logit_adjust_tau=1.0
#   tau-normalisation (Kang et al. 2020): --cfg-options model.head.norm_tau=1.0
_base_ = [
    '../../_base_/models/dual_nano_linear.py', '../_base_/pbc_lt100_cpu.py'
]
class_counts = _base_.class_counts
model = dict(
    head=dict(
        type='PostHocLinearClsHead',
        class_counts=class_counts,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
