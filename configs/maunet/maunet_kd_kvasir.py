# Curriculum distillation MALUNet -> MAUNet on Kvasir-SEG (MicroAUNet, as the
# method intends): imitation (BCE+Dice + pixel KD ramped by a cosine + skip
# feature alignment) for the first 60 % of the iterations, then preference
# (BCE+Dice + pixel InfoNCE + L2). Train the teacher first:
#   python tools/train.py configs/malunet/malunet_kvasir.py
# Its best checkpoint is found by the pattern below (exactly one match).
_base_ = [
    '../_base_/models/maunet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py',
    '../_base_/distill/malunet_to_maunet.py', '../_base_/distill/losses.py',
    '../_base_/distill/curriculum_seg.py'
]

model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='medproto::malunet/malunet_kvasir.py'),
    teacher_ckpt='work_dirs/malunet_kvasir/best_Dice_iter_*.pth',
    student_recorders=_base_.seg_recorders,
    teacher_recorders=_base_.seg_recorders,
    # the names the curriculum's stages switch on and off
    distill_losses=dict(
        loss_kd=_base_.binary_kd_loss,
        loss_feat=_base_.feat_align_loss,
        loss_nce=_base_.pixel_nce_loss,
        loss_l2=_base_.l2_loss),
    teacher_channels_last=_base_.teacher_channels_last,
    task_loss_weight=1.0)

custom_hooks = [
    _base_.curriculum_hook,
    dict(type='medproto.SafeCheckpointHook'),
]
