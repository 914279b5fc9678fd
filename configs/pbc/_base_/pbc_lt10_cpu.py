# As pbc_lt100_cpu.py with imbalance factor 10. `class_counts` are
# long_tail_counts(850, 8, 10), labels in sorted class-name order.
# dual_nano_proto5_lt10.py, dual_nano_proto5_difflr_freeze_lt10.py and
# dual_nano_linear_cb_lt10.py set these numbers on top of their lt100 config
# instead: their heads and losses take the counts too, and mmengine refuses a
# key that two bases both set.
_base_ = ['./pbc_lt100_cpu.py']
imbalance_factor = 10
class_counts = [850, 611, 440, 316, 228, 164, 118, 85]
train_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
# At factor 10 no class has fewer than 20 images (the count thresholds
# would leave the few-shot group empty): cut the classes by rank into thirds.
val_evaluator = dict(class_counts=class_counts, split_by='rank')
test_evaluator = val_evaluator
