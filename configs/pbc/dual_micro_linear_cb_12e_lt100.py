# The PBC-LT100 teacher of dual_micro_linear_cb_lt100.py trained twice as
# long (12 epochs): at the student's 6 epochs the larger model ends below the
# nano prototype student, and a teacher is normally trained to convergence,
# not on the student's budget.
#   python tools/train.py configs/pbc/dual_micro_linear_cb_12e_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_12e_lt100
_base_ = ['../_base_/models/dual_nano_linear.py', './_base_/pbc_lt100_cpu.py']
model = dict(
    backbone=dict(arch='micro'),
    head=dict(
        in_channels=384,
        loss=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_counts=_base_.class_counts,
            beta=0.9999)))
max_epochs = 12
# the 6-epoch schedule's warm-up, its cosine stretched to 12 epochs
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 1, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
