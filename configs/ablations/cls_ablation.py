# Classification ablation on the long-tailed PBC set (imbalance 100): the
# fusion neck (linear baseline, MHF v2 lite, MHF v2 AMAF-DSG), the number of
# prototypes per class (1/3/5/10) and class balancing on/off (class-balanced
# CE for the linear head; CB loss + cluster weights for 5 prototypes).
#   python tools/ablation.py configs/ablations/cls_ablation.py
name = 'cls_ablation'
_dir = 'configs/pbc/'
configs = [
    dict(label='linear', config=_dir + 'dual_nano_linear_lt100.py'),
    dict(label='linear_cb', config=_dir + 'dual_nano_linear_cb_lt100.py'),
    dict(label='mhfv2_lite', config=_dir + 'dual_nano_mhfv2_lite_lt100.py'),
    dict(label='mhfv2_amafdsg',
         config=_dir + 'dual_nano_mhfv2_amafdsg_lt100.py'),
    dict(label='proto1', config=_dir + 'dual_nano_proto1_lt100.py'),
    dict(label='proto3', config=_dir + 'dual_nano_proto3_lt100.py'),
    dict(label='proto5', config=_dir + 'dual_nano_proto5_lt100.py'),
    dict(label='proto10', config=_dir + 'dual_nano_proto10_lt100.py'),
    dict(label='proto5_no_cb', config=_dir + 'dual_nano_proto5_nocb_lt100.py'),
]
seeds = [0, 1, 2]
metrics = ['top1', 'macro_f1', 'macro_auc', 'many_recall', 'medium_recall',
           'few_recall']
efficiency = True
input_shape = (3, 128, 128)  # the PBC copies are 128x128
