# Attention transfer (Zagoruyko & Komodakis 2017), mdistiller's defaults:
# p = 2, weight 1000, on the outputs of stages 1..3.
at_loss = dict(
    type='medproto.ATLoss',
    p=2,
    loss_weight=1000.0,
    inputs=dict(
        feat_S=['s.feat1', 's.feat2', 's.feat3'],
        feat_T=['t.feat1', 't.feat2', 't.feat3']))
