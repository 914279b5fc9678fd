# Does distillation pay on PBC-LT100? The pretrained EfficientNet-Lite0
# teacher (configs/pbc/effnet_lite0_cb_lt100.py), the nano prototype student
# alone, and KD, Review KD and RKD + Review KD (the best pair of
# pbc_distill.py) from that teacher, three seeds, the same 6-epoch budget
# for every row. The distilled rows of every seed read the seed-42 teacher:
#   python tools/ablation.py configs/ablations/pbc_kd_lite0.py \
#       --only teacher --seeds 42
#   python tools/ablation.py configs/ablations/pbc_kd_lite0.py \
#       --only student kd reviewkd rkd+reviewkd kd_task1
#   python tools/analysis_tools/compare_runs.py \
#       configs/ablations/pbc_kd_lite0.py kd student
name = 'pbc_kd_lite0'
_dir = 'configs/pbc/distill/'
_teacher = dict(model=dict(
    teacher_ckpt='work_dirs/ablations/pbc_kd_lite0/teacher/seed42/'
    'best_macro_f1_epoch_*.pth'))
configs = [
    dict(label='teacher', config='configs/pbc/effnet_lite0_cb_lt100.py'),
    dict(label='student', config='configs/pbc/dual_nano_proto5_lt100.py'),
] + [
    dict(label=label, config=f'{_dir}{method}_lite0_nano_proto5_lt100.py',
         cfg_options=_teacher)
    for label, method in [('kd', 'kd'), ('reviewkd', 'reviewkd'),
                          ('rkd+reviewkd', 'rkd_reviewkd')]
] + [
    # KD with the student's class-balanced task loss at full weight instead
    # of mdistiller's 0.1 (docs/results_history.md, "KD's task-loss weight")
    dict(label='kd_task1', config=f'{_dir}kd_lite0_nano_proto5_lt100.py',
         cfg_options=dict(model=dict(_teacher['model'],
                                     task_loss_weight=1.0)))
]
seeds = [42, 7, 0]
metrics = ['top1', 'mean_recall', 'macro_f1', 'many_recall', 'medium_recall',
           'few_recall']
efficiency = False
input_shape = (3, 128, 128)  # the PBC copies are 128x128
dump_predictions = True  # for tools/analysis_tools/compare_runs.py
