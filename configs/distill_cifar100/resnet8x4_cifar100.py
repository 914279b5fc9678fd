_base_ = ['./_base_/cifar_classifier.py']
model = dict(backbone=dict(arch='resnet8x4'), head=dict(in_channels=256))
