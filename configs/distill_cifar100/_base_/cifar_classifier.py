# A CIFAR-100 classifier trained alone (teachers and student baselines): the
# model of classifier.py, mdistiller's data and schedule, the
# classification runtime.
_base_ = [
    '../../_base_/default_runtime_cls.py', './cifar100_bs64.py',
    './schedule_sgd_240e.py', './classifier.py'
]
