# PBC-LT10 twin of dual_nano_proto10_sinkhorn_lt100.py: does a balanced
# assignment of images to prototypes revive the unused ones?
# dual_nano_proto10_lt10.py (10 prototypes per class, class-balanced CE
# and cluster weights, prototype manager out of weight decay) with the
# prototype manager's Sinkhorn-Knopp assignment: per class in the batch,
# the images are shared out equally among the class's prototypes (SwAV,
# Caron et al. 2020; ProtoSeg, Zhou et al. 2022), and the assigned
# prototype, not the nearest, is the positive of the cluster / contrastive
# terms and the one the EMA moves. With the nearest assignment one of the
# 10 prototypes per class wins every image (docs/long_tail.md). The class
# logits (max pooling) are unchanged. The head lines of proto10 are
# restated (inheriting it would make four _base_ levels); only
# `prototype_manager` gains the assignment options.
_base_ = [
    '../_base_/models/dual_nano_mhfv2_lite_proto.py',
    './_base_/pbc_lt10_cpu.py'
]
model = dict(
    head=dict(
        num_prototypes=10,
        max_prototypes=10,
        prototype_manager=dict(
            assignment='sinkhorn', sinkhorn_epsilon=0.05, sinkhorn_iters=3),
        class_counts=_base_.class_counts,
        cb_beta=0.9999,
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
optim_wrapper = dict(
    paramwise_cfg=dict(lr_mults=[('head.prototype_manager', 1.0, 0.0)]))
