# Which terms of MAUNet's curriculum distillation (MALUNet teacher,
# Kvasir-SEG) matter. Run with:
#   python tools/ablation.py configs/ablations/seg_distill_terms.py
# The KD configs need the teacher checkpoint their `model.teacher_ckpt`
# names (train configs/malunet/malunet_kvasir.py first). For a quick look,
# shorten every run, e.g.
#   --cfg-options train_cfg.max_iters=600 train_cfg.val_interval=200
name = 'seg_distill_terms'
_dir = 'configs/maunet/'
configs = [
    dict(label='baseline', config=_dir + 'maunet_kvasir.py'),
    dict(label='kd_only', config=_dir + 'ablations/maunet_kd_only_kvasir.py'),
    dict(label='feat_only',
         config=_dir + 'ablations/maunet_feat_only_kvasir.py'),
    dict(label='nce_only',
         config=_dir + 'ablations/maunet_nce_only_kvasir.py'),
    dict(label='no_curriculum',
         config=_dir + 'ablations/maunet_kd_nocurriculum_kvasir.py'),
    dict(label='curriculum_80_20',
         config=_dir + 'ablations/maunet_kd_split80_kvasir.py'),
    # the full method: all terms, curriculum 60/40
    dict(label='full_kd', config=_dir + 'maunet_kd_kvasir.py'),
]
seeds = [0, 1, 2]
metrics = ['Dice', 'IoU', 'mDice_per_image']
efficiency = True
input_shape = (3, 256, 256)
