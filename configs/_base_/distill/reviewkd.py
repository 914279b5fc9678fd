# Review KD (Chen et al. 2021), mdistiller's CIFAR defaults: student stage
# outputs + pooled feature vs teacher pre-activations + pooled feature,
# 20 warm-up epochs. The pair config fills in channels, shapes and weight.
reviewkd_loss = dict(
    type='medproto.ReviewKDLoss',
    warmup_epochs=20,
    inputs=dict(
        feats_S=['s.feat1', 's.feat2', 's.feat3', 's.pooled'],
        feats_T=['t.preact1', 't.preact2', 't.preact3', 't.pooled']))
