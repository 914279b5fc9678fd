# Curriculum KD MALUNet -> MAUNet on the shipped sample, for tests: the
# pieces of configs/maunet/maunet_kd_kvasir.py on the tiny data and budget.
# Pass the teacher with --cfg-options model.teacher_ckpt=...
_base_ = ['./seg_tiny.py', '../../../configs/_base_/distill/malunet_to_maunet.py',
          '../../../configs/_base_/distill/losses.py',
          '../../../configs/_base_/distill/curriculum_seg.py']
model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='tests/data/configs/seg_tiny_teacher.py'),
    teacher_ckpt=None,
    student_recorders=_base_.seg_recorders,
    teacher_recorders=_base_.seg_recorders,
    distill_losses=dict(
        loss_kd=_base_.binary_kd_loss,
        loss_feat=_base_.feat_align_loss,
        loss_nce=_base_.pixel_nce_loss,
        loss_l2=_base_.l2_loss))
custom_hooks = [_base_.curriculum_hook,
                dict(type='medproto.SafeCheckpointHook')]
