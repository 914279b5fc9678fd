# PBC-LT100 at 128x128: the dual 'micro' backbone + linear head (teacher,
# 10.99M parameters, configs/pbc/dual_micro_linear_cb_lt100.py) -> the nano
# prototype model, MHF_block_v2-lite + MultiPrototypeHead + class-balanced
# losses (student, 5.29M, configs/pbc/dual_nano_proto5_lt100.py), trained
# with the student's schedule. The student keeps its own losses (CB-CE +
# prototype losses under uncertainty weighting) as the task loss. The method
# configs take their part from `distill_parts` (distill_parts.py), completed
# below with this pair's channels and shapes.
_base_ = ['../../dual_nano_proto5_lt100.py', './distill_parts.py']
# feat<i>: the fused map of stage i (the output of backbone.fusions.<i>, what
# stage i + 1 consumes; the last one before the backbone's output norm),
# (B, dims[i], 128 / 2**(i + 2), 128 / 2**(i + 2)) with dims 32/64/128/256
# (student) and 48/96/192/384 (teacher).
_stages = {f'feat{i}': f'backbone.fusions.{i}' for i in range(4)}
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='configs/pbc/dual_micro_linear_cb_lt100.py'),
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
distill_parts = dict(
    fitnet=dict(
        connectors=dict(
            hint=dict(
                student_shape=(128, 8, 8), teacher_shape=(192, 8, 8)))),
    crd=dict(distill_losses=dict(loss_crd=dict(s_dim=128, t_dim=384))),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                in_channels=[32, 64, 128, 256, 128],
                out_channels=[48, 96, 192, 384, 384]))),
)
