# Long-tail baseline on PBC-LT10: classifier re-training (cRT, Kang et al.
# 2020), stage 2. Stage 1 is ce_lt10.py (instance-balanced sampling, plain
# CE); this run loads its checkpoint, re-initialises the linear classifier
# and trains only the classifier with class-balanced sampling (q = 1) for 4
# epochs, the backbone frozen (its drop-path off: fixed features).
# `stage1_checkpoint` is the grid's CE row (configs/ablations/
# cls_lt_baselines.py, default --work-root); {seed} is the run's seed. For a
# stand-alone run set the hook's path, e.g.
#   --cfg-options custom_hooks.1.checkpoint=work_dirs/ce_lt10/best_*.pth
_base_ = [
    '../../_base_/models/dual_nano_linear.py', '../_base_/pbc_lt100_cpu.py'
]
# PBC-LT with imbalance factor 10: long_tail_counts(850, 8, 10), labels in
# sorted class-name order; many / medium / few are the thirds by rank (no
# class has fewer than 20 images at factor 10).
imbalance_factor = 10
class_counts = [850, 611, 440, 316, 228, 164, 118, 85]
val_evaluator = dict(class_counts=class_counts, split_by='rank')
test_evaluator = val_evaluator
stage1_checkpoint = ('work_dirs/ablations/cls_lt_baselines/ce_lt10/'
                     'seed{seed}/best_*.pth')
model = dict(
    backbone=dict(drop_path_rate=0., fusion_drop_rates=(0., 0., 0., 0.)),
    head=dict(
        type='PostHocLinearClsHead',
        class_counts=class_counts,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_dataloader = dict(
    dataset=dict(imbalance_factor=imbalance_factor),
    sampler=dict(_delete_=True, type='ClassBalancedSampler', q=1.0))
max_epochs = 4
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=2)
custom_hooks = [
    dict(type='medproto.SafeCheckpointHook'),
    dict(type='medproto.ClassifierRetrainHook', checkpoint=stage1_checkpoint),
    dict(
        type='medproto.FreezeUnfreezeHook',
        modules=['backbone'],
        freeze_for=max_epochs,
        by_epoch=True),
]
# DDP: the frozen backbone gets no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
