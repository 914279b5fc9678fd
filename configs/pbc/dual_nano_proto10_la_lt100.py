# Prototype head + logit-adjusted loss on PBC-LT100:
# dual_nano_proto10_lt100.py (10 prototypes per class, class-balanced cluster
# weights, prototype manager out of weight decay) with the classifier part of
# the head trained by the logit-adjusted cross-entropy of
# baselines/la_lt100.py (Menon et al. 2021, the loss form, tau = 1: softmax
# of z + log pi in training, plain z at test time) instead of the
# class-balanced CE. Does a long-tail loss on the prototype logits help the
# tail? The head lines of proto10 are restated (inheriting it would make
# four _base_ levels); only `loss` differs.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite_proto.py',
    './_base_/pbc_lt100_cpu.py'
]
model = dict(
    head=dict(
        num_prototypes=10,
        max_prototypes=10,
        class_counts=_base_.class_counts,
        cb_beta=0.9999,
        loss=dict(
            _delete_=True,
            type='LogitAdjustedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            tau=1.0)))
optim_wrapper = dict(
    paramwise_cfg=dict(lr_mults=[('head.prototype_manager', 1.0, 0.0)]))
