# Curriculum distillation into MAUNet from the pretrained EfficientNet-Lite0
# U-Net teacher (as maunet_kd_lite0_kvasir.py: connectors, terms, curriculum)
# from a teacher-output cache: the teacher does not run during training.
# ViewAugment replaces the random flips and rotation (K = 8 fixed views per
# image, flips h/v with p 0.5, rotation by U(-180, 180) degrees with p 0.5).
# Build the cache once from the trained teacher (same config, same K):
#   python tools/misc/build_teacher_cache.py \
#       configs/maunet/maunet_kd_lite0_cached_kvasir.py \
#       'work_dirs/effnet_lite0_unet_kvasir/best_Dice_iter_*.pth' \
#       --num-views 8 --out work_dirs/teacher_cache/lite0_kvasir_k8
_base_ = ['./maunet_kd_lite0_kvasir.py']

num_views = 8
teacher_cache = 'work_dirs/teacher_cache/lite0_kvasir_k8'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=_base_.img_scale, keep_ratio=False),
    dict(type='ViewAugment', num_views=num_views, seed=0, hflip_prob=0.5,
         vflip_prob=0.5, rotate_prob=0.5, degree=180, pad_val=0,
         seg_pad_val=0),
    # `sample_idx` and `view_idx` tell the distiller which cached view
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys + ('view_idx', )),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(teacher_cache=teacher_cache)

custom_hooks = [
    _base_.curriculum_hook,
    # checks the cache against this run's pipeline, data files and K
    dict(type='medproto.TeacherCacheHook'),
    dict(type='medproto.SafeCheckpointHook'),
]
