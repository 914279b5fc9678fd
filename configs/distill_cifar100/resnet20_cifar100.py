_base_ = ['./_base_/cifar_classifier.py']
model = dict(backbone=dict(arch='resnet20'), head=dict(in_channels=64))
