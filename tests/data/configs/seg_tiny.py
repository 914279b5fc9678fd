# Tiny MAUNet run on the shipped Kvasir-SEG sample (128x128), for tests and
# tools/run_demo.sh.
_base_ = ['../../../configs/maunet/maunet_kvasir.py']
data_root = '{{ fileDirname }}/../kvasir_seg'
_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(128, 128), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
_common = dict(num_workers=0, persistent_workers=False)
_prefix = dict(img_path='images', seg_map_path='masks')
train_dataloader = dict(
    batch_size=2,
    dataset=dict(data_root=data_root, data_prefix=_prefix,
                 pipeline=_train_pipeline),
    **_common)
val_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix=_prefix,
                 pipeline=_test_pipeline),
    **_common)
test_dataloader = val_dataloader
max_iters = 4
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, eta_min=1e-5,
                        by_epoch=False, begin=0, end=4)]
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, save_best='Dice'))
