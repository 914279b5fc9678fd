# As dual_nano_proto10_lt100.py on PBC-LT with imbalance factor 10: the
# prototype-count ablation on top of dual_nano_proto5_lt10.py.
_base_ = ['./dual_nano_proto5_lt10.py']
model = dict(head=dict(num_prototypes=10, max_prototypes=10))
