# The PBC-LT100 teacher of dual_micro_linear_cb_lt100.py trained twice as
# long (12 epochs): at the student's 6 epochs the larger model ends below the
# nano prototype student, and a teacher is normally trained to convergence,
# not on the student's budget.
#   python tools/train.py configs/pbc/dual_micro_linear_cb_12e_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_12e_lt100
_base_ = ['./dual_micro_linear_cb_lt100.py']
max_epochs = 12
# the 6-epoch schedule's warm-up, its cosine stretched to 12 epochs
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
