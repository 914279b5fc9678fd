# The larger CPU teacher for PBC-LT100 distillation: as
# dual_nano_linear_cb_lt100.py (MHF_block fusion, linear head, class-balanced
# CE, the same 6-epoch schedule) on the 'micro' dual backbone (dims
# 48/96/192/384): 10.99M parameters, 0.55 GMACs at 128x128
# (tools/analysis_tools/efficiency.py CONFIG --shape 128 128; the nano
# student dual_nano_proto5_lt100.py: 5.29M, 0.28 GMACs). Train it into
# work_dirs/pbc_teacher_micro_lt100, where configs/pbc/distill/ look for its
# best checkpoint:
#   python tools/train.py configs/pbc/dual_micro_linear_cb_lt100.py \
#       --work-dir work_dirs/pbc_teacher_micro_lt100
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
