# Relational KD (Park et al. 2019) on the pooled embedding, mdistiller's
# defaults: distance 25, angle 50.
rkd_loss = dict(
    type='medproto.RKDLoss',
    distance_weight=25.0,
    angle_weight=50.0,
    loss_weight=1.0,
    inputs=dict(embed_S='s.pooled', embed_T='t.pooled'))
