# CPU-sized schedule for the nano dual backbone on PBC-LT (128x128, batch
# 32): AdamW 1e-3, 1 warm-up epoch then cosine, 6 epochs, validation every 2.
# Parameters are grouped by module path (medproto's constructor keeps
# frozen parameters, see FreezeUnfreezeHook); no decay on 1-D parameters.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='medproto.PathParamwiseOptimWrapperConstructor',
    paramwise_cfg=dict(lr_mults=[], flat_decay_mult=0.),
    clip_grad=dict(max_norm=5.0))
max_epochs = 6
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        eta_min=1e-5,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=2)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
