# As dual_nano_proto10_lt100.py on PBC-LT with imbalance factor 10
# (class counts and long-tail groups of ./_base_/pbc_lt10_cpu.py).
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite_proto.py',
    './_base_/pbc_lt10_cpu.py'
]
model = dict(
    head=dict(
        num_prototypes=10,
        max_prototypes=10,
        class_counts=_base_.class_counts,
        cb_beta=0.9999,
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
optim_wrapper = dict(
    paramwise_cfg=dict(lr_mults=[('head.prototype_manager', 1.0, 0.0)]))
