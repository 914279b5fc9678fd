_base_ = ['./_base_/cifar_classifier.py']
model = dict(
    backbone=dict(type='CifarWideResNet', arch='wrn16_2'),
    head=dict(in_channels=128))
