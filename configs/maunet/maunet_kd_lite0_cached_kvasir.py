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

# one of the K = 8 stored views per sample (datasets/binary_seg_folder.py)
train_pipeline = _base_.view_train_pipeline + [
    _base_.lite0_kvasir_cache_loader]  # the workers read the cache
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(teacher_cache=_base_.lite0_kvasir_cache)  # lite0_to_maunet.py

# the curriculum, the cache's check (pipeline, data files, K), safe checkpoints
custom_hooks = _base_.cached_curriculum_hooks
