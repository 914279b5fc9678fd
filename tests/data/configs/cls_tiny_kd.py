# KD between two tiny classifiers on the PBC sample, for end-to-end tests.
# The teacher checkpoint is passed on the command line.
_base_ = ['./cls_tiny.py', '../../../configs/_base_/distill/losses.py']
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=_base_.model,
    teacher_ckpt=None,
    student_recorders=dict(logits='head.fc'),
    teacher_recorders=dict(logits='head.fc'),
    distill_losses=dict(
        loss_kd=dict(type='medproto.KDLoss', tau=4.0, loss_weight=0.9,
                     inputs=dict(preds_S='s.logits', preds_T='t.logits'))),
    task_loss_weight=0.1)
