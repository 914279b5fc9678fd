# Recorders of an mmpretrain ImageClassifier with a CIFAR backbone
# (medproto CifarResNet / CifarWideResNet) + GlobalAveragePooling +
# LinearClsHead. Teacher pre-activations depend on the architecture and are
# added by the pair configs.
cls_recorders = dict(
    logits='head.fc',
    pooled='head.fc:input',
    feat1='backbone.layer1',
    feat2='backbone.layer2',
    feat3='backbone.layer3')
