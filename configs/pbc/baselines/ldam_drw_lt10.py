# Long-tail baseline on PBC-LT10: LDAM with deferred re-weighting (Cao et al.
# 2019): cosine classifier (the official NormedLinear), margins C / n^(1/4)
# with the largest 0.5, scale 30; class-balanced weights (effective number,
# beta 0.9999) from epoch index 4 of 6 (the official CIFAR schedule switches
# at 160 of 200 epochs, 0.8 of training; here the last third).
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
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=8,
        in_channels=256,
        score_scale=30.0,
        loss=dict(
            type='LDAMLoss',
            class_counts=class_counts,
            max_margin=0.5,
            scale=30.0,
            drw_start=4,
            drw_by_epoch=True,
            drw_beta=0.9999)))
