# A CIFAR-100 classifier (mmpretrain ImageClassifier): a medproto CIFAR
# backbone (CifarResNet / CifarWideResNet) + global average pooling + a
# linear head; resnet8x4 (256 channels) unless a config sets another.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', arch='resnet8x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
