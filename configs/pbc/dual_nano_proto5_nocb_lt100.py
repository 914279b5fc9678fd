# CB ablation: plain CE and equal cluster weights (class_counts=None).
_base_ = ['./dual_nano_proto5_lt100.py']
model = dict(
    head=dict(
        class_counts=None,
        loss=dict(
            _delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
