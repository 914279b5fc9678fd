# As dual_nano_linear_cb_lt100.py on PBC-LT with imbalance factor 10.
_base_ = ['../_base_/models/dual_nano_linear.py', './_base_/pbc_lt10_cpu.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
