# Long-tail baseline on PBC-LT10: logit-adjusted cross-entropy (Menon et al.
# 2021, the loss form, tau = 1: softmax of z + log pi in training, plain z
# at test time), linear head.
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
        loss=dict(
            _delete_=True,
            type='LogitAdjustedCrossEntropyLoss',
            class_counts=class_counts,
            tau=1.0)))
