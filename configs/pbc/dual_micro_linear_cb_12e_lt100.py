# The PBC-LT100 teacher of dual_micro_linear_cb_lt100.py trained twice as
# long (12 epochs): at the student's 6 epochs the larger model ends below the
# nano prototype student, and a teacher is normally trained to convergence,
# not on the student's budget.
#   python tools/train.py configs/pbc/dual_micro_linear_cb_12e_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_12e_lt100
_base_ = ['./dual_micro_linear_cb_lt100.py']
max_epochs = 12
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        eta_min=1e-5,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=3)
