# CB ablation: plain CE and equal cluster weights (class_counts=None),
# otherwise as dual_nano_proto5_lt100.py.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite_proto.py',
    './_base_/pbc_lt100_cpu.py'
]
model = dict(
    head=dict(
        num_prototypes=5,
        max_prototypes=10,
        class_counts=None,
        cb_beta=0.9999,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
optim_wrapper = dict(
    paramwise_cfg=dict(lr_mults=[('head.prototype_manager', 1.0, 0.0)]))
