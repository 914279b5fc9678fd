# As dual_nano_proto5_difflr_freeze_lt100.py on PBC-LT with imbalance factor 10
# (class counts and long-tail groups of ./_base_/pbc_lt10_cpu.py).
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite_proto.py',
    './_base_/pbc_lt10_cpu.py'
]
model = dict(
    head=dict(
        num_prototypes=5,
        max_prototypes=10,
        class_counts=_base_.class_counts,
        cb_beta=0.9999,
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(lr_mults=[
        ('head.prototype_manager', 2.0, 0.0),
        ('backbone.fusions.*.enhancement', 1.0),
        ('backbone.fusions', 0.5),
        ('backbone', 0.1),
        ('head', 2.0),
    ]))
custom_hooks = [
    dict(type='medproto.SafeCheckpointHook'),
    dict(
        type='medproto.FreezeUnfreezeHook',
        modules=['backbone'],
        exclude=['backbone.fusions'],
        freeze_for=1,
        by_epoch=True),
]
# DDP: frozen parameters get no gradient while frozen.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
