# A MedMNIST set (default BloodMNIST, 8 classes, 28x28 RGB) read from its
# .npz file: data/medmnist/bloodmnist.npz holding the arrays
# {train,val,test}_images and {train,val,test}_labels.
# Set `imbalance_factor` in the train dataset for a long-tailed variant.
# Use with default_scope='mmpretrain'.
dataset_type = 'MedMNISTDataset'
data_root = 'data/medmnist'
ann_file = 'bloodmnist.npz'
num_classes = 8

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# Images come from the .npz in memory: LoadImageFromNDArray replaces the
# file loader (RGB arrays become BGR like mmcv's loaders; to_rgb above turns
# them back).
train_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromNDArray'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='train',
        num_classes=num_classes,
        imbalance_factor=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=ann_file,
        split='val',
        num_classes=num_classes,
        test_mode=True,
        pipeline=test_pipeline))
# The val loader on the test split.
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))

val_evaluator = dict(type='LongTailClsMetric')
test_evaluator = val_evaluator
