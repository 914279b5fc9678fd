# PBC-LT100 at 128x128: the dual 'micro' backbone + linear head (teacher,
# 10.99M parameters, configs/pbc/dual_micro_linear_cb_lt100.py) -> the nano
# prototype model, MHF_block_v2-lite + MultiPrototypeHead + class-balanced
# losses (student, 5.29M, the model of configs/pbc/dual_nano_proto5_lt100.py),
# trained with the student's data, schedule and runtime. The student keeps
# its own losses (CB-CE + prototype losses under uncertainty weighting) as
# the task loss. A method config places its terms from
# configs/_base_/distill/losses.py, completed below with what depends on
# this pair and this data.
_base_ = [
    '../../../_base_/models/dual_nano_mhfv2_lite_proto.py',
    '../../../_base_/datasets/pbc_lt.py', '../../_base_/schedule_adamw_6e.py',
    '../../../_base_/default_runtime_cls.py',
    '../../../_base_/distill/losses.py'
]
# The data and checkpoint settings of ../../_base_/pbc_lt100_cpu.py
# (imbalance factor 100, batch 32; class_counts = long_tail_counts(850, 8,
# 100)), repeated: inheriting that file would put the runtime one level
# deeper.
imbalance_factor = 100
class_counts = [850, 440, 228, 118, 61, 31, 16, 8]
train_dataloader = dict(
    batch_size=32, dataset=dict(imbalance_factor=imbalance_factor))
val_dataloader = dict(batch_size=32)
test_dataloader = dict(batch_size=32)
default_hooks = dict(checkpoint=dict(save_best='macro_f1', rule='greater'))
val_evaluator = dict(type='LongTailClsMetric', class_counts=class_counts)
test_evaluator = val_evaluator

# feat<i>: the fused map of stage i (the output of backbone.fusions.<i>, what
# stage i + 1 consumes; the last one before the backbone's output norm),
# (B, dims[i], 128 / 2**(i + 2), 128 / 2**(i + 2)) with dims 32/64/128/256
# (student) and 48/96/192/384 (teacher).
_stages = {f'feat{i}': f'backbone.fusions.{i}' for i in range(4)}
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    # the head of configs/pbc/dual_nano_proto5_lt100.py
    student=dict(
        _base_.model,
        head=dict(
            _base_.model.head,
            num_prototypes=5,
            max_prototypes=10,
            class_counts=class_counts,
            cb_beta=0.9999,
            loss=dict(
                type='ClassBalancedCrossEntropyLoss',
                class_counts=class_counts,
                beta=0.9999))),
    teacher=dict(cfg_path='medproto::pbc/dual_micro_linear_cb_lt100.py'),
    # Train it with configs/pbc/dual_micro_linear_cb_lt100.py (mmengine keeps
    # one best_macro_f1_epoch_<N>.pth).
    teacher_ckpt='work_dirs/pbc_teacher_micro_lt100/best_macro_f1_epoch_*.pth',
    # MultiPrototypeHead.loss does not call forward: its logits and its
    # embedding z (B, 128) are recorded at its identity taps. `pooled` is the
    # vector each classifier scores: z for the student, the average-pooled
    # (B, 384) feature for the teacher.
    student_recorders=dict(
        logits='head.logits_tap', pooled='head.embed_tap', **_stages),
    teacher_recorders=dict(
        logits='head.fc', pooled='head.fc:input', **_stages),
    task_loss_weight=1.0)
# The student's parameters are under `student.` in the distiller: keep its
# prototypes free of weight decay.
optim_wrapper = dict(
    paramwise_cfg=dict(
        lr_mults=[('student.head.prototype_manager', 1.0, 0.0)]))

# The losses of losses.py on this pair and data. FitNet's hint is on stage
# 2; AT and Review KD use the four fused stage maps (Review KD also the
# pooled vector; its sizes at a 128x128 input: 128 / 2**(i + 2), then 1x1);
# CRD has 1752 training images (the sum of class_counts). mdistiller warms
# DKD and Review KD up over 20 of 240 epochs; this schedule has 6, so they
# warm up linearly over its first epoch instead (as the learning rate):
# ceil(1752 / 32) = 55 iterations at batch 32.
_stages_S = ['s.feat0', 's.feat1', 's.feat2', 's.feat3']
_stages_T = ['t.feat0', 't.feat1', 't.feat2', 't.feat3']
_warmup = dict(warmup_epochs=None, warmup_iters=55)
fitnet_connector = dict(
    student_shape=(128, 8, 8), teacher_shape=(192, 8, 8))
at_loss = dict(inputs=dict(feat_S=_stages_S, feat_T=_stages_T))
crd_loss = dict(num_data=1752, s_dim=128, t_dim=384)
dkd_loss = dict(**_warmup)
reviewkd_loss = dict(
    in_channels=[32, 64, 128, 256, 128],
    out_channels=[48, 96, 192, 384, 384],
    shapes=[32, 16, 8, 4, 1],
    inputs=dict(
        feats_S=_stages_S + ['s.pooled'], feats_T=_stages_T + ['t.pooled']),
    **_warmup)
