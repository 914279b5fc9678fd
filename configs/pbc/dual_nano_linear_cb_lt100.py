# Baseline with class-balanced CE (beta 0.9999, training-set counts).
_base_ = ['../_base_/models/dual_nano_linear.py', './_base_/pbc_lt100_cpu.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
