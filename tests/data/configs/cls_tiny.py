# Tiny classifier on the shipped PBC sample, for end-to-end tests.
_base_ = ['../../../configs/_base_/datasets/pbc_lt.py',
          '../../../configs/_base_/default_runtime_cls.py']
data_root = '{{ fileDirname }}/../pbc_blood_cells'
_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='PackInputs'),
]
_common = dict(batch_size=4, num_workers=0, persistent_workers=False)
_dataset = dict(data_root=data_root, data_prefix='', pipeline=_pipeline)
train_dataloader = dict(
    dataset=dict(imbalance_factor=2, imb_seed=0, **_dataset), **_common)
val_dataloader = dict(dataset=dict(test_mode=True, **_dataset), **_common)
test_dataloader = val_dataloader
val_evaluator = dict(type='LongTailClsMetric', split_by='rank')
test_evaluator = val_evaluator

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=3),
    backbone=dict(type='DualConvNeXtSwin', arch='nano'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=256,
              loss=dict(type='CrossEntropyLoss')))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=2)]
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best=None))
