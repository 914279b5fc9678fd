# Contrastive representation distillation (Tian et al. 2020), mdistiller's
# defaults: 128-d projections, 16384 negatives, tau 0.07, momentum 0.5,
# weight 0.8. The pair config fills in s_dim, t_dim and num_data. The
# dataset must give 'sample_idx' in the data samples' metainfo.
crd_loss = dict(
    type='medproto.CRDLoss',
    feat_dim=128,
    num_negatives=16384,
    nce_t=0.07,
    momentum=0.5,
    loss_weight=0.8,
    inputs=dict(
        embed_S='s.pooled', embed_T='t.pooled', sample_idx='sample_idx'))
