# The grid of pbc_distill.py (student alone, every method, every pair) from
# the micro teacher trained 12 epochs instead of 6: that teacher ends above
# the student (82.81 top-1 vs 81.98), the 6-epoch one below it (79.06).
# Two rows more, the head control: the class-balanced linear-head student
# alone and with Review KD (is the distilled student's tail recall its
# head's or the distillation's?).
# Train the teacher, then run the grid:
#   python tools/train.py configs/pbc/dual_micro_linear_cb_12e_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_12e_lt100
#   python tools/ablation.py configs/ablations/pbc_distill_teacher12e.py
from mmengine.config import read_base

with read_base():
    from .pbc_distill import *  # noqa: F401,F403

name = 'pbc_distill_teacher12e'
_teacher = dict(model=dict(
    teacher_ckpt='work_dirs/pbc_teacher_micro_12e_lt100/'
    'best_macro_f1_epoch_*.pth'))
configs = [  # the student row has no teacher
    item if item['label'] == 'student' else dict(item, cfg_options=_teacher)
    for item in configs  # noqa: F405
] + [
    dict(label='linear_cb', config='configs/pbc/dual_nano_linear_cb_lt100.py'),
    dict(label='linear_cb+reviewkd',
         config='configs/pbc/distill/reviewkd_micro_nano_linear_cb_lt100.py',
         cfg_options=_teacher),
]
