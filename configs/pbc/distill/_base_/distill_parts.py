# Every distillation method's part of a PBC-LT100 distiller, `distill_parts`
# (configs/_base_/distill/cls_distill_parts.py), with what does not depend
# on the teacher / student pair: CRD's 1752 training images (ImageFolderLT,
# imbalance factor 100: sum of class_counts), the four fused stage maps
# (recorders feat0..feat3) of AT and Review KD plus Review KD's sizes at a
# 128x128 input (stage i: 128 / 2**(i + 2); the pooled vector: 1x1), and the
# warm-ups scaled to the 6-epoch schedule. The pair config
# (micro_nano_proto5.py) defines the recorders (logits, pooled, feat0..feat3)
# and adds channels and shapes; a method config takes its part as
# `model = _base_.distill_parts.<method>`. KD's task loss (class-balanced CE
# + prototype losses) is weighted 0.1 as in mdistiller's CE; FitNet's hint
# is on stage 2.
_base_ = ['../../../_base_/distill/cls_distill_parts.py']
_stages_S = ['s.feat0', 's.feat1', 's.feat2', 's.feat3']
_stages_T = ['t.feat0', 't.feat1', 't.feat2', 't.feat3']
# mdistiller warms DKD and Review KD up over 20 of 240 epochs; this schedule
# has 6 epochs, so they warm up linearly over its first epoch instead (as
# the learning rate): ceil(1752 / 32) = 55 iterations at batch 32.
_warmup = dict(warmup_epochs=None, warmup_iters=55)
distill_parts = dict(
    at=dict(
        distill_losses=dict(
            loss_at=dict(inputs=dict(feat_S=_stages_S, feat_T=_stages_T)))),
    crd=dict(distill_losses=dict(loss_crd=dict(num_data=1752))),
    dkd=dict(distill_losses=dict(loss_dkd=_warmup)),
    reviewkd=dict(
        distill_losses=dict(
            loss_reviewkd=dict(
                shapes=[32, 16, 8, 4, 1],
                inputs=dict(
                    feats_S=_stages_S + ['s.pooled'],
                    feats_T=_stages_T + ['t.pooled']),
                **_warmup))),
)
