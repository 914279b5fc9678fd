# Curriculum distillation into MAUNet from the pretrained teacher
# (EfficientNet-Lite0 U-Net, configs/seg_teacher/effnet_lite0_unet_kvasir.py)
# on Kvasir-SEG: the curriculum of maunet_kd_kvasir.py (imitation: pixel KD +
# skip alignment for 60 % of the run, then preference: pixel InfoNCE + L2),
# with 1x1 connectors from the student's skips / embedding to the teacher's
# channels. Train the teacher first:
#   python tools/train.py configs/seg_teacher/effnet_lite0_unet_kvasir.py
_base_ = ['./maunet_kvasir.py', '../_base_/distill/curriculum_seg.py']

student_skips = (8, 16, 24, 32, 48)      # MAUNet encoder1..5, H/2 .. H/32
teacher_skips = (16, 24, 40, 112, 320)   # Lite0 blocks 0, 1, 2, 4, 6
student_recorders = dict(
    logits='decode_head.conv_seg', embed='backbone.decoder5',
    **{f'skip{i}': f'backbone.encoder{i}' for i in range(1, 6)})
teacher_recorders = dict(
    logits='decode_head.conv_seg', embed='backbone.decoder4',
    **{f'skip{i}': f'backbone.encoder.blocks.{b}'
       for i, b in zip(range(1, 6), (0, 1, 2, 4, 6))})
connectors = dict(
    embed=dict(type='medproto.Conv1x1Connector', in_channels=8,
               out_channels=16, input='s.embed'),
    **{f'skip{i}': dict(type='medproto.Conv1x1Connector', in_channels=cs,
                        out_channels=ct, input=f's.skip{i}')
       for i, cs, ct in zip(range(1, 6), student_skips, teacher_skips)})

model = dict(
    _delete_=True,
    type='medproto.SingleTeacherDistiller',
    student=_base_.model,
    teacher=dict(cfg_path='configs/seg_teacher/effnet_lite0_unet_kvasir.py'),
    teacher_ckpt='work_dirs/effnet_lite0_unet_kvasir/best_Dice_iter_*.pth',
    student_recorders=student_recorders,
    teacher_recorders=teacher_recorders,
    connectors=connectors,
    distill_losses=dict(
        # imitation: pixel KD on [p, 1 - p], ramped up by the curriculum
        loss_kd=dict(type='medproto.BinaryKDLoss', tau=2.0, loss_weight=1.0,
                     inputs=dict(preds_S='s.logits', preds_T='t.logits')),
        # imitation: skip alignment, ramped down by the curriculum; on the
        # directions of the features (the pretrained teacher's skips have
        # an RMS of 3-8, the student's about 1), weighted so that the term
        # starts near the KD term (normalised MSE is (2 - 2 cos) / C)
        loss_feat=dict(type='medproto.FeatureAlignLoss', loss_weight=10.0,
                       normalize=True,
                       inputs=dict(feats_S=[f'c.skip{i}' for i in range(1, 6)],
                                   feats_T=[f't.skip{i}' for i in range(1, 6)])),
        # preference: pixel InfoNCE, teacher embeddings as positives
        loss_nce=dict(type='medproto.PixelInfoNCELoss', tau=0.1,
                      num_samples=256, loss_weight=0.1,
                      inputs=dict(embed_S='c.embed', embed_T='t.embed',
                                  gt_mask='gt_mask')),
        # preference: L2 between the two probability maps
        loss_l2=dict(type='medproto.L2Loss', activation='sigmoid',
                     loss_weight=1.0,
                     inputs=dict(preds_S='s.logits', preds_T='t.logits'))),
    task_loss_weight=1.0)

custom_hooks = [_base_.curriculum_hook, dict(type='medproto.SafeCheckpointHook')]
