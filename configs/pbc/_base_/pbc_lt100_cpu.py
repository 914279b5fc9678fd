# PBC-LT with imbalance factor 100, batch 32, the 6-epoch CPU schedule and
# the classification runtime. `class_counts` are the training images per
# class that ImageFolderLT keeps (medproto.datasets.long_tail.
# long_tail_counts(850, 8, 100), labels in sorted class-name order); they
# feed the class-balanced losses (Cui et al. 2019 use training-set counts).
_base_ = [
    '../../_base_/datasets/pbc_lt.py', './schedule_adamw_6e.py',
    '../../_base_/default_runtime_cls.py'
]
imbalance_factor = 100
class_counts = [850, 440, 228, 118, 61, 31, 16, 8]
train_dataloader = dict(
    batch_size=32, dataset=dict(imbalance_factor=imbalance_factor))
val_dataloader = dict(batch_size=32)
test_dataloader = dict(batch_size=32)
default_hooks = dict(checkpoint=dict(save_best='macro_f1', rule='greater'))
# Head / medium / tail recall by TRAINING counts (the balanced val pool has
# 120 images per class): many > 100, few < 20 images.
val_evaluator = dict(type='LongTailClsMetric', class_counts=class_counts)
test_evaluator = val_evaluator
