# MALUNet's optimiser (AdamW lr 1e-3, wd 1e-2) with a cosine schedule,
# iteration-based. 100 iterations = one Kvasir-SEG epoch at batch 8.
# foreach=True: one multi-tensor update instead of a Python loop over the
# ~290 small parameter tensors of these U-Nets (PyTorch's CPU default is the
# loop; CUDA already defaults to foreach). Same arithmetic, ~5% of a CPU step.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-2,
                   foreach=True))
max_iters = 3000
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=1e-5, by_epoch=False,
         begin=0, end=max_iters)
]
# ResumableIterBasedTrainLoop: mmengine's iteration loop with an endless
# sampler (no 2 s pause at epoch ends), a resume that skips to the saved
# position instead of replaying the data, and a resumed last validation.
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters,
                 val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
