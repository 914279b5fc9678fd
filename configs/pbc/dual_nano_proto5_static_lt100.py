# Expansion ablation: exactly 5 prototypes per class (max_prototypes=5, the
# DynamicPrototypeManager never adds one).
_base_ = ['./dual_nano_proto5_lt100.py']
model = dict(head=dict(num_prototypes=5, max_prototypes=5))
