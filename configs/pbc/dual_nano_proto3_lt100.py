# Prototype-count ablation: 3 prototype(s) per class at start (dynamic
# expansion up to 10 kept), otherwise as dual_nano_proto5_lt100.py.
_base_ = ['./dual_nano_proto5_lt100.py']
model = dict(head=dict(num_prototypes=3, max_prototypes=10))
