# PBC-LT with imbalance factor 10, batch 32, the 6-epoch CPU schedule and
# the classification runtime: pbc_lt100_cpu.py with the factor-10 numbers.
# `class_counts` are long_tail_counts(850, 8, 10), labels in sorted
# class-name order.
_base_ = [
    '../../_base_/datasets/pbc_lt.py', './schedule_adamw_6e.py',
    '../../_base_/default_runtime_cls.py'
]
imbalance_factor = 10
class_counts = [850, 611, 440, 316, 228, 164, 118, 85]
train_dataloader = dict(
    batch_size=32, dataset=dict(imbalance_factor=imbalance_factor))
val_dataloader = dict(batch_size=32)
test_dataloader = dict(batch_size=32)
default_hooks = dict(checkpoint=dict(save_best='macro_f1', rule='greater'))
# At factor 10 no class has fewer than 20 images (the count thresholds
# would leave the few-shot group empty): cut the classes by rank into thirds.
val_evaluator = dict(
    type='LongTailClsMetric', class_counts=class_counts, split_by='rank')
test_evaluator = val_evaluator
