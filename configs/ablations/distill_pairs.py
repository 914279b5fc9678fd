# Pairs of distillation methods on CIFAR-100 against their single methods,
# for both teacher -> student pairs (ResNet32x4 -> ResNet8x4,
# WRN-40-2 -> WRN-16-2).
#   python tools/ablation.py configs/ablations/distill_pairs.py
# The teachers' checkpoints must exist first (see each config's
# `model.teacher_ckpt`).
name = 'distill_pairs'
_dir = 'configs/distill_cifar100/'
_pairs = dict(r32x4='r32x4_r8x4', wrn40='wrn40_2_wrn16_2')
_methods = ['kd', 'fitnet', 'rkd', 'kd_fitnet', 'kd_rkd', 'fitnet_rkd']
configs = [
    dict(label=f'{pair}_{method}',
         config=f'{_dir}{method}_{suffix}_cifar100.py')
    for pair, suffix in _pairs.items() for method in _methods
]
seeds = [0, 1, 2]
metrics = ['accuracy/top1', 'accuracy/top5']
efficiency = True
input_shape = (3, 32, 32)
