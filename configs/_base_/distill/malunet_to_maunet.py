# Distiller skeleton: MALUNet teacher -> MAUNet student (mmseg scope).
# A config inheriting this sets `student`, `teacher_ckpt` and the curriculum
# (see configs/maunet/maunet_kd_kvasir.py). Both backbones expose the
# pre-bridge skips t1..t5 as `backbone.encoder1..5` with identical shapes
# (8/16/24/32/48 channels at H/2..H/32), so no connector is needed, and the
# last decoder stage (8 x H/2) as `backbone.decoder5`.
_skips = {f'skip{i}': f'backbone.encoder{i}' for i in range(1, 6)}
seg_recorders = dict(logits='decode_head.conv_seg', embed='backbone.decoder5',
                     **_skips)
seg_distill_losses = dict(
    # imitation: pixel KD on the two-class distribution [p, 1 - p]
    loss_kd=dict(type='medproto.BinaryKDLoss', tau=2.0, loss_weight=1.0,
                 inputs=dict(preds_S='s.logits', preds_T='t.logits')),
    # imitation: feature alignment on the five pre-bridge skips
    loss_feat=dict(type='medproto.FeatureAlignLoss', loss_weight=1.0,
                   inputs=dict(feats_S=[f's.skip{i}' for i in range(1, 6)],
                               feats_T=[f't.skip{i}' for i in range(1, 6)])),
    # preference: InfoNCE on decoder pixel embeddings, teacher as positives
    loss_nce=dict(type='medproto.PixelInfoNCELoss', tau=0.1, num_samples=256,
                  loss_weight=0.1,
                  inputs=dict(embed_S='s.embed', embed_T='t.embed',
                              gt_mask='gt_mask')),
    # preference: L2 between student and teacher probabilities
    loss_l2=dict(type='medproto.L2Loss', activation='sigmoid', loss_weight=1.0,
                 inputs=dict(preds_S='s.logits', preds_T='t.logits')),
)
# The frozen teacher runs channels-last (same values; 1.4x faster MALUNet
# forward on CPU). Pass to the distiller as teacher_channels_last.
teacher_channels_last = True
