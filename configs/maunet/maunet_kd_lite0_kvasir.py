# Curriculum distillation into MAUNet from the pretrained teacher
# (EfficientNet-Lite0 U-Net, configs/seg_teacher/effnet_lite0_unet_kvasir.py)
# on Kvasir-SEG: the curriculum of maunet_kd_kvasir.py (imitation: pixel KD +
# skip alignment for 60 % of the run, then preference: pixel InfoNCE + L2),
# through 1x1 connectors to the teacher's channels. Train the teacher first:
#   python tools/train.py configs/seg_teacher/effnet_lite0_unet_kvasir.py
_base_ = [
    '../_base_/models/maunet.py', '../_base_/datasets/kvasir_seg.py',
    '../_base_/default_runtime_seg.py', '../_base_/schedules/seg_adamw_cosine.py',
    '../_base_/distill/lite0_to_maunet.py', '../_base_/distill/losses.py',
    '../_base_/distill/curriculum_seg.py'
]

model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='medproto::seg_teacher/effnet_lite0_unet_kvasir.py'),
    teacher_ckpt='work_dirs/effnet_lite0_unet_kvasir/best_Dice_iter_*.pth',
    student_recorders=_base_.student_recorders,
    teacher_recorders=_base_.teacher_recorders,
    connectors=_base_.connectors,
    # the names the curriculum's stages switch on and off
    distill_losses=dict(
        loss_kd=_base_.binary_kd_loss,
        # on the directions of the features (the pretrained teacher's skips
        # have an RMS of 3-8, the student's about 1), weighted so that the
        # term starts near the KD term (normalised MSE is (2 - 2 cos) / C)
        loss_feat=dict(
            _base_.feat_align_loss, normalize=True, loss_weight=10.0,
            inputs=dict(feats_S=[f'c.skip{i}' for i in range(1, 6)],
                        feats_T=[f't.skip{i}' for i in range(1, 6)])),
        loss_nce=dict(
            _base_.pixel_nce_loss,
            inputs=dict(embed_S='c.embed', embed_T='t.embed',
                        gt_mask='gt_mask')),
        loss_l2=_base_.l2_loss),
    task_loss_weight=1.0)

custom_hooks = [
    _base_.curriculum_hook,
    dict(type='medproto.SafeCheckpointHook'),
]
