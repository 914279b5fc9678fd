# PBC peripheral blood cells (Acevedo et al., Data in Brief 2020), 8 classes,
# 128x128 copies: data/pbc-blood-cells-128/{train,val}/<class>/*.jpg.
# The training set is made long-tailed from the balanced train pool by the
# exponential subsampler (imbalance factor 100: head 850 -> tail 8 images,
# classes in sorted-name order); validation stays balanced so that tail
# recall can be measured. Use with default_scope='mmpretrain'.
#
# Re-sampling instead of shuffling, in an experiment config:
#   train_dataloader = dict(sampler=dict(
#       _delete_=True, type='ClassBalancedSampler', q=0.5))
dataset_type = 'ImageFolderLT'
data_root = 'data/pbc-blood-cells-128'
img_size = 128
imbalance_factor = 100

data_preprocessor = dict(
    num_classes=8,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# mmpretrain's PackInputs keeps `sample_idx` (used by CRD) by default.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        imbalance_factor=imbalance_factor,
        imb_seed=0,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='LongTailClsMetric')
test_evaluator = val_evaluator
