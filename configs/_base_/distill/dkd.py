# Decoupled KD (Zhao et al. 2022), mdistiller's defaults: alpha 1, beta 8,
# T 4, 20 warm-up epochs (the pair config may change beta).
dkd_loss = dict(
    type='medproto.DKDLoss',
    alpha=1.0,
    beta=8.0,
    tau=4.0,
    warmup_epochs=20,
    loss_weight=1.0,
    inputs=dict(preds_S='s.logits', preds_T='t.logits', gt_label='gt_label'))
