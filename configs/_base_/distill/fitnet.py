# FitNets hint (Romero et al. 2015), mdistiller's defaults: hint layer 2
# (stage-2 output), ConvReg regressor, weight 100. The pair config fills in
# the connector's channels / shapes.
fitnet_connector = dict(type='medproto.ConvRegConnector', input='s.feat2')
fitnet_loss = dict(
    type='medproto.FitNetLoss',
    loss_weight=100.0,
    inputs=dict(feat_S='c.hint', feat_T='t.feat2'))
