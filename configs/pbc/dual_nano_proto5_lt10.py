# As dual_nano_proto5_lt100.py on PBC-LT with imbalance factor 10.
_base_ = ['./dual_nano_proto5_lt100.py']
imbalance_factor = 10
# long_tail_counts(850, 8, 10), labels in sorted class-name order
class_counts = [850, 611, 440, 316, 228, 164, 118, 85]
train_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
model = dict(
    head=dict(
        class_counts=class_counts,
        loss=dict(class_counts=class_counts)))
# At factor 10 no class has fewer than 20 images (the count thresholds
# would leave the few-shot group empty): cut the classes by rank into thirds.
val_evaluator = dict(class_counts=class_counts, split_by='rank')
test_evaluator = val_evaluator
