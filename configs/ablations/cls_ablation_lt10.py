# The classification ablation of cls_ablation.py at imbalance factor 10
# (850 ... 85 training images per class). Many / medium / few are the
# classes cut by training count into thirds (`split_by='rank'` in the lt10
# configs): at factor 10 no class has fewer than 20 images.
#   python tools/ablation.py configs/ablations/cls_ablation_lt10.py
_base_ = ['./cls_ablation.py']
name = 'cls_ablation_lt10'
_dir = 'configs/pbc/'
configs = [
    dict(label='linear', config=_dir + 'dual_nano_linear_lt10.py'),
    dict(label='linear_cb', config=_dir + 'dual_nano_linear_cb_lt10.py'),
    dict(label='mhfv2_lite', config=_dir + 'dual_nano_mhfv2_lite_lt10.py'),
    dict(label='mhfv2_amafdsg',
         config=_dir + 'dual_nano_mhfv2_amafdsg_lt10.py'),
    dict(label='proto1', config=_dir + 'dual_nano_proto1_lt10.py'),
    dict(label='proto3', config=_dir + 'dual_nano_proto3_lt10.py'),
    dict(label='proto5', config=_dir + 'dual_nano_proto5_lt10.py'),
    dict(label='proto10', config=_dir + 'dual_nano_proto10_lt10.py'),
    dict(label='proto5_no_cb', config=_dir + 'dual_nano_proto5_nocb_lt10.py'),
]
