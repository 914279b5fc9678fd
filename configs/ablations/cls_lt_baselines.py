# The long-tail baselines against the prototype head on PBC-LT, imbalance
# factors 100 and 10, three seeds: plain CE, class-balanced CE, Balanced
# Softmax (Ren et al. 2020; = logit-adjusted CE, Menon et al. 2021, tau 1),
# LDAM-DRW (Cao et al. 2019), cRT (Kang et al. 2020; stage 2 of the CE row
# of the same seed, so it is listed after it), the 10-prototype head, and
# that head with Balanced Softmax, with softmax pooling or with the balanced
# (Sinkhorn) prototype assignment.
# Post-hoc logit adjustment and tau-normalisation are test options of the CE
# rows' checkpoints (docs/long_tail.md).
#   python tools/ablation.py configs/ablations/cls_lt_baselines.py
#   python tools/analysis_tools/compare_runs.py \
#       configs/ablations/cls_lt_baselines.py proto10_lt100 cbce_lt100
# cRT reads its stage-1 checkpoint from the default --work-root
# (work_dirs/ablations); with another root, override its hook's path
# (configs/pbc/baselines/crt_lt100.py says how).
name = 'cls_lt_baselines'
_dir = 'configs/pbc/baselines/'
# Logit-adjusted CE with tau = 1 (configs/pbc/baselines/la_lt*.py) is
# Balanced Softmax exactly: tau * log(n / N) and log n differ by a constant
# per image, which softmax ignores (same predictions to the bit at seed 42).
# The grid runs it once, as `balsoftmax`.
_rows = ['ce', 'cbce', 'balsoftmax', 'ldam_drw', 'crt']
configs = [
    dict(label=f'{row}_lt{factor}', config=f'{_dir}{row}_lt{factor}.py')
    for factor in (100, 10) for row in _rows
] + [
    dict(label=f'proto10_lt{factor}',
         config=f'configs/pbc/dual_nano_proto10_lt{factor}.py')
    for factor in (100, 10)
] + [
    # The prototype head with a baseline's loss for its classifier part, and
    # with softmax pooling over a class's prototypes (max pooling leaves all
    # but one prototype of each class unused: docs/long_tail.md).
    dict(label='proto10_balsoftmax_lt100',
         config='configs/pbc/dual_nano_proto10_balsoftmax_lt100.py'),
    dict(label='proto10_softpool_lt100',
         config='configs/pbc/dual_nano_proto10_lt100.py',
         cfg_options={'model.head.pooling': 'softmax'}),
    # ... and with the balanced (Sinkhorn-Knopp) assignment of a class's
    # images to its prototypes instead of the nearest prototype (SwAV's
    # epsilon 0.05 and 3 iterations, the manager's defaults).
    dict(label='proto10_sinkhorn_lt100',
         config='configs/pbc/dual_nano_proto10_lt100.py',
         cfg_options={'model.head.prototype_manager.assignment': 'sinkhorn'}),
]
seeds = [42, 7, 0]
metrics = ['top1', 'mean_recall', 'macro_f1', 'many_recall', 'medium_recall',
           'few_recall']
efficiency = False
input_shape = (3, 128, 128)  # the PBC copies are 128x128
dump_predictions = True  # for tools/analysis_tools/compare_runs.py
