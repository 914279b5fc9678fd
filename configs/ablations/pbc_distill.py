# Distillation on the long-tailed PBC set (imbalance 100, 128x128) from the
# dual 'micro' teacher (configs/pbc/dual_micro_linear_cb_lt100.py) to the
# nano prototype student (configs/pbc/dual_nano_proto5_lt100.py): the
# student alone, every method alone (KD, FitNet, AT, RKD, CRD, DKD, Review
# KD) and every pair of methods.
#   python tools/ablation.py configs/ablations/pbc_distill.py
# Train the teacher first, into the folder whose best checkpoint the
# configs' `model.teacher_ckpt` names:
#   python tools/train.py configs/pbc/dual_micro_linear_cb_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_lt100
name = 'pbc_distill'
_dir = 'configs/pbc/distill/'
_suffix = '_micro_nano_proto5_lt100.py'
_methods = ['kd', 'fitnet', 'at', 'rkd', 'crd', 'dkd', 'reviewkd']
_pairs = [(a, b) for i, a in enumerate(_methods) for b in _methods[i + 1:]]
configs = [
    dict(label='student', config='configs/pbc/dual_nano_proto5_lt100.py')
] + [
    dict(label=method, config=f'{_dir}{method}{_suffix}')
    for method in _methods
] + [
    dict(label=f'{a}+{b}', config=f'{_dir}{a}_{b}{_suffix}')
    for a, b in _pairs
]
seeds = [42]
metrics = ['top1', 'macro_f1', 'macro_auc', 'many_recall', 'medium_recall',
           'few_recall']
efficiency = True
input_shape = (3, 128, 128)  # the PBC copies are 128x128
