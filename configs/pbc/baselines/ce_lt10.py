# Long-tail baseline on PBC-LT10: plain cross-entropy, linear head (the
# training of configs/pbc/dual_nano_linear_lt10.py). The head is
# PostHocLinearClsHead, equal to LinearClsHead unless a test option is set:
#   post-hoc logit adjustment (Menon et al. 2021): --cfg-options
#       model.head.logit_adjust_tau=1.0
#   tau-normalisation (Kang et al. 2020): --cfg-options model.head.norm_tau=1.0
_base_ = [
    '../../_base_/models/dual_nano_linear.py', '../_base_/pbc_lt100_cpu.py'
]
# PBC-LT with imbalance factor 10: long_tail_counts(850, 8, 10), labels in
# sorted class-name order; many / medium / few are the thirds by rank (no
# class has fewer than 20 images at factor 10).
imbalance_factor = 10
class_counts = [850, 611, 440, 316, 228, 164, 118, 85]
train_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
val_evaluator = dict(class_counts=class_counts, split_by='rank')
test_evaluator = val_evaluator
model = dict(
    head=dict(
        type='PostHocLinearClsHead',
        class_counts=class_counts,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
