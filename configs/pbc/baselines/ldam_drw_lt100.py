# Long-tail baseline on PBC-LT100: LDAM with deferred re-weighting (Cao et al.
# 2019): cosine classifier (the official NormedLinear), margins C / n^(1/4)
# with the largest 0.5, scale 30; class-balanced weights (effective number,
# beta 0.9999) from epoch index 4 of 6 (the official CIFAR schedule switches
# at 160 of 200 epochs, 0.8 of training; here the last third).
_base_ = [
    '../../_base_/models/dual_nano_linear.py', '../_base_/pbc_lt100_cpu.py'
]
class_counts = _base_.class_counts
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
