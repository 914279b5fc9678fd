# Control for the prototype student: Review KD from the same teacher into
# the class-balanced linear-head nano model (configs/pbc/
# dual_nano_linear_cb_lt100.py, 4.91M) instead of the prototype model. Set
# beside reviewkd_micro_nano_proto5_lt100.py it says whether the distilled
# student's tail recall comes from its head or from the distillation.
# Everything else (teacher, stages, Review KD, schedule) is that config's.
_base_ = ['./_base_/micro_nano_proto5.py']
model = dict(
    student=dict(
        _delete_=True, cfg_path='medproto::pbc/dual_nano_linear_cb_lt100.py'),
    # Recorded as the teacher, which has the same linear head (its
    # LinearClsHead.loss calls forward, so the fc sees every batch): `pooled`
    # is the (B, 256) pooled backbone output that the fc scores.
    student_recorders=_base_.model.teacher_recorders,
    distill_losses=dict(
        loss_reviewkd=dict(
            _base_.reviewkd_loss, in_channels=[32, 64, 128, 256, 256])))
# No prototypes: the linear model's own parameter rules (none).
optim_wrapper = dict(paramwise_cfg=dict(lr_mults=[]))
