# Every distillation loss of medproto as a plain named dict, for the
# experiment configs to place in their distiller's `distill_losses` (and
# `connectors`), e.g.
#   model = dict(
#       distill_losses=dict(loss_kd=_base_.kd_loss, loss_at=_base_.at_loss),
#       task_loss_weight=_base_.kd_task_loss_weight)
# A teacher-student pair's base completes what depends on the pair or the
# data (channels, shapes, CRD's num_data) by setting the same name, e.g.
# `crd_loss = dict(s_dim=256, t_dim=256, num_data=50000)` (mmengine merges
# it into the dict below). Inputs name recorded tensors: 's.<name>' /
# 't.<name>' (student / teacher recorders), 'c.<name>' (connector outputs)
# or a data field ('gt_label', 'gt_mask', 'sample_idx').

# ---- classification (mdistiller's CIFAR-100 defaults) ----
# Vanilla KD (Hinton et al. 2015): T = 4, KD weight 0.9; mdistiller weights
# the student's CE 0.1 beside it (the distiller's task_loss_weight).
kd_loss = dict(
    type='medproto.KDLoss',
    tau=4.0,
    loss_weight=0.9,
    inputs=dict(preds_S='s.logits', preds_T='t.logits'))
kd_task_loss_weight = 0.1

# FitNets hint (Romero et al. 2015): hint layer 2 (stage-2 output), ConvReg
# regressor (connector 'hint'), weight 100. The pair gives the connector's
# student_shape / teacher_shape.
fitnet_connector = dict(type='medproto.ConvRegConnector', input='s.feat2')
fitnet_loss = dict(
    type='medproto.FitNetLoss',
    loss_weight=100.0,
    inputs=dict(feat_S='c.hint', feat_T='t.feat2'))

# Attention transfer (Zagoruyko & Komodakis 2017): p = 2, weight 1000, on
# the outputs of stages 1..3.
at_loss = dict(
    type='medproto.ATLoss',
    p=2,
    loss_weight=1000.0,
    inputs=dict(
        feat_S=['s.feat1', 's.feat2', 's.feat3'],
        feat_T=['t.feat1', 't.feat2', 't.feat3']))

# Relational KD (Park et al. 2019) on the pooled embedding: distance 25,
# angle 50.
rkd_loss = dict(
    type='medproto.RKDLoss',
    distance_weight=25.0,
    angle_weight=50.0,
    loss_weight=1.0,
    inputs=dict(embed_S='s.pooled', embed_T='t.pooled'))

# Contrastive representation distillation (Tian et al. 2020): 128-d
# projections, 16384 negatives, tau 0.07, momentum 0.5, weight 0.8. The pair
# gives s_dim, t_dim and num_data; the dataset must give 'sample_idx' in the
# data samples' metainfo.
crd_loss = dict(
    type='medproto.CRDLoss',
    feat_dim=128,
    num_negatives=16384,
    nce_t=0.07,
    momentum=0.5,
    loss_weight=0.8,
    inputs=dict(
        embed_S='s.pooled', embed_T='t.pooled', sample_idx='sample_idx'))

# Decoupled KD (Zhao et al. 2022): alpha 1, beta 8, T 4, 20 warm-up epochs
# (the pair may change beta).
dkd_loss = dict(
    type='medproto.DKDLoss',
    alpha=1.0,
    beta=8.0,
    tau=4.0,
    warmup_epochs=20,
    loss_weight=1.0,
    inputs=dict(preds_S='s.logits', preds_T='t.logits', gt_label='gt_label'))

# Review KD (Chen et al. 2021): student stage outputs + pooled feature vs
# teacher pre-activations + pooled feature, 20 warm-up epochs. The pair
# gives channels, shapes and weight.
reviewkd_loss = dict(
    type='medproto.ReviewKDLoss',
    warmup_epochs=20,
    inputs=dict(
        feats_S=['s.feat1', 's.feat2', 's.feat3', 's.pooled'],
        feats_T=['t.preact1', 't.preact2', 't.preact3', 't.pooled']))

# ---- segmentation (MALUNet -> MAUNet curriculum, recorders of
# malunet_to_maunet.py; the stages are in curriculum_seg.py) ----
# imitation: pixel KD on the two-class distribution [p, 1 - p]
binary_kd_loss = dict(
    type='medproto.BinaryKDLoss',
    tau=2.0,
    loss_weight=1.0,
    inputs=dict(preds_S='s.logits', preds_T='t.logits'))
# imitation: feature alignment on the five pre-bridge skips
feat_align_loss = dict(
    type='medproto.FeatureAlignLoss',
    loss_weight=1.0,
    inputs=dict(
        feats_S=[f's.skip{i}' for i in range(1, 6)],
        feats_T=[f't.skip{i}' for i in range(1, 6)]))
# preference: InfoNCE on decoder pixel embeddings, teacher as positives
pixel_nce_loss = dict(
    type='medproto.PixelInfoNCELoss',
    tau=0.1,
    num_samples=256,
    loss_weight=0.1,
    inputs=dict(embed_S='s.embed', embed_T='t.embed', gt_mask='gt_mask'))
# preference: L2 between student and teacher probabilities
l2_loss = dict(
    type='medproto.L2Loss',
    activation='sigmoid',
    loss_weight=1.0,
    inputs=dict(preds_S='s.logits', preds_T='t.logits'))
