# Binary segmentation from an image folder + a mask folder (pairs by name).
# data_root/{train,val,test}/{images,masks}; masks are thresholded to {0, 1}
# by LoadBinaryMask. Normalisation (mean/std) belongs to the model's
# data_preprocessor. Use with default_scope='mmseg'.
dataset_type = 'BinarySegDataset'
data_root = 'data/binary-seg'
img_scale = (256, 256)
# mmseg's PackSegInputs keys plus `sample_idx` (used by CRD distillation).
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'reduce_zero_label', 'sample_idx')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    # mmseg's RandomRotate draws a new angle for every sample; masks are
    # rotated with nearest interpolation, corners padded as background.
    dict(type='RandomRotate', prob=0.5, degree=180, pad_val=0, seg_pad_val=0),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
# The train pipeline of a distillation from a teacher-output cache (the
# distiller's `teacher_cache`): ViewAugment replaces the random flips and
# rotation above by one of `num_views` fixed views per image (flips h/v with
# p 0.5, rotation by U(-180, 180) degrees with p 0.5), drawn per sample;
# `sample_idx` and `view_idx` tell the distiller which cached view to read.
# The cache is built with the same K and refuses any other pipeline.
num_views = 8
view_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='ViewAugment', num_views=num_views, seed=0, hflip_prob=0.5,
         vflip_prob=0.5, rotate_prob=0.5, degree=180, pad_val=0,
         seg_pad_val=0),
    dict(type='PackSegInputs', meta_keys=meta_keys + ('view_idx', )),
]
# The mask is loaded after Resize, so metrics are computed at the original
# resolution (the segmentor resizes its prediction back to `ori_shape`).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train/images', seg_map_path='train/masks'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val/images', seg_map_path='val/masks'),
        test_mode=True,
        pipeline=test_pipeline))
# The val loader on the test folders.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix=dict(img_path='test/images', seg_map_path='test/masks')))

val_evaluator = dict(type='BinarySegMetric')
test_evaluator = val_evaluator
