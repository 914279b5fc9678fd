# A CIFAR-100 classifier trained alone (teachers and student baselines).
_base_ = [
    '../../_base_/default_runtime_cls.py', './cifar100_bs64.py',
    './schedule_sgd_240e.py'
]
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
