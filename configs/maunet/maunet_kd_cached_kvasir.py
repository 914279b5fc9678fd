# Curriculum distillation MALUNet -> MAUNet on Kvasir-SEG (as
# maunet_kd_kvasir.py) from a teacher-output cache: the teacher does not run
# during training. ViewAugment replaces the random flips and rotation: every
# training image has `num_views` fixed views (flips h/v with p 0.5, rotation
# by U(-180, 180) degrees with p 0.5), one is drawn per sample, and the
# data loader's workers read the teacher's outputs on exactly that view
# (LoadTeacherOutputs, after PackSegInputs) for the distiller (the KD terms
# and curriculum are those of maunet_kd_kvasir.py). Build the cache
# once from the trained teacher (same config, same K):
#   python tools/misc/build_teacher_cache.py \
#       configs/maunet/maunet_kd_cached_kvasir.py \
#       'work_dirs/malunet_kvasir/best_Dice_iter_*.pth' \
#       --num-views 8 --out work_dirs/teacher_cache/malunet_kvasir_k8
# The run refuses a cache built from another teacher, pipeline or data.
_base_ = ['./maunet_kd_kvasir.py']

teacher_cache = 'work_dirs/teacher_cache/malunet_kvasir_k8'

# one of the K = 8 stored views per sample (datasets/binary_seg_folder.py)
train_pipeline = _base_.view_train_pipeline + [
    dict(type='LoadTeacherOutputs', cache=teacher_cache)]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# maunet_kd_kvasir.py's distiller (teacher, recorders, the four curriculum
# terms), reading the teacher's outputs from the cache
model = dict(teacher_cache=teacher_cache)

# the curriculum, the cache's check (pipeline, data files, K), safe checkpoints
custom_hooks = _base_.cached_curriculum_hooks
