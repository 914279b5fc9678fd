# As dual_nano_proto5_nocb_lt100.py on PBC-LT with imbalance factor 10: the
# CB ablation (plain CE, equal cluster weights) on top of
# dual_nano_proto5_lt10.py.
_base_ = ['./dual_nano_proto5_lt10.py']
model = dict(
    head=dict(
        class_counts=None,
        loss=dict(
            _delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
