# Vanilla KD (Hinton et al. 2015), mdistiller's CIFAR-100 defaults:
# T = 4, KD weight 0.9 and the student's CE weighted 0.1.
kd_loss = dict(
    type='medproto.KDLoss',
    tau=4.0,
    loss_weight=0.9,
    inputs=dict(preds_S='s.logits', preds_T='t.logits'))
kd_task_loss_weight = 0.1
