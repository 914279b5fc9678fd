# DualConvNeXtSwin 'nano' with MHF_block_v2 (lite) fusion (as
# dual_nano_mhfv2_lite.py) + MultiPrototypeHead: no neck, the head pools the
# last (B, 256, H/32, W/32) map itself and lets the prototypes attend to its
# tokens. 5 prototypes per class at start, up to 10 (variance-driven
# expansion); CE + BalancedPrototypeLoss under uncertainty weighting.
# Experiment configs add class_counts (class-balanced cluster weights) and a
# class-balanced CE for their training set. The prototype EMA is slow
# (momentum 0.999): a fast one (0.9) fought the gradient and cost 10 points
# of top-1 on PBC-LT100 (docs/results_history.md).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DualConvNeXtSwin',
        arch='nano',
        fusion=dict(type='MHFBlockV2', enhancement='lite'),
        fusion_drop_rates=(0., 0.1, 0.2, 0.2),
        drop_path_rate=0.1,
        out_indices=(3, )),
    neck=None,
    head=dict(
        type='MultiPrototypeHead',
        num_classes=8,
        in_channels=256,
        embed_dims=128,
        num_prototypes=5,
        max_prototypes=10,
        pooling='max',
        init_logit_scale=10.,
        dropout=0.1,
        attention=dict(type='MixedAttentionBlock', num_heads=4),
        prototype_manager=dict(
            momentum=0.999, var_threshold=0.5, warmup_updates=20),
        proto_loss=dict(type='BalancedPrototypeLoss'),
        loss_weighting=dict(type='medproto.UncertaintyWeighting'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
