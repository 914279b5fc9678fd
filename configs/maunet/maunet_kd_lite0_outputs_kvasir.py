# Output distillation only, from the pretrained teacher into MAUNet on
# Kvasir-SEG, for the term ablation of docs/results.md: pixel KD on [p, 1 - p]
# and the L2 term between the probability maps, both at full weight for the
# whole run; no curriculum, no feature or embedding terms (so no
# connectors). Teacher and budget as maunet_kd_lite0_kvasir.py.
_base_ = [
    '../_base_/models/maunet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py',
    '../_base_/distill/losses.py'
]

model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='medproto::seg_teacher/effnet_lite0_unet_kvasir.py'),
    teacher_ckpt='work_dirs/effnet_lite0_unet_kvasir/best_Dice_iter_*.pth',
    student_recorders=dict(logits='decode_head.conv_seg'),
    teacher_recorders=dict(logits='decode_head.conv_seg'),
    distill_losses=dict(loss_kd=_base_.binary_kd_loss,
                        loss_l2=_base_.l2_loss),
    task_loss_weight=1.0)

custom_hooks = [dict(type='medproto.SafeCheckpointHook')]
