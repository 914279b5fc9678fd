# Copyright (c) medproto contributors. All rights reserved.
"""ClassifierRetrainHook: stage-1 weights everywhere but a fresh head."""
from types import SimpleNamespace

import pytest
import torch
from mmpretrain.models import ImageClassifier
from torch import nn

from medproto.engine.hooks import ClassifierRetrainHook


def _model() -> ImageClassifier:
    model = ImageClassifier(
        backbone=dict(type='ResNet_CIFAR', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=512))
    model.init_weights()
    return model


@pytest.fixture
def stage1(tmp_path):
    torch.manual_seed(1)
    model = _model()
    with torch.no_grad():
        model.head.fc.weight.fill_(0.5)
        model.backbone.conv1.weight.mul_(3.0)
    path = tmp_path / 'seed7' / 'best_macro_f1_epoch_6.pth'
    path.parent.mkdir()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model, str(tmp_path / 'seed{seed}' / 'best_*.pth')


def _runner(model, iteration=0, seed=7):
    return SimpleNamespace(model=model, iter=iteration, seed=seed)


def test_loads_stage1_and_reinitialises_the_head(stage1):
    trained, pattern = stage1
    torch.manual_seed(2)
    model = _model()
    ClassifierRetrainHook(pattern).before_train(_runner(model))
    for name, value in trained.state_dict().items():
        if not name.startswith('head.'):
            torch.testing.assert_close(model.state_dict()[name], value)
    weight = model.head.fc.weight
    assert not torch.allclose(weight, trained.head.fc.weight)
    # The head's own init_cfg: Normal(std=0.01), bias 0.
    assert 0.005 < weight.std().item() < 0.02
    assert model.head.fc.bias.abs().max() == 0


def test_resumed_run_is_left_alone(stage1):
    _, pattern = stage1
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ClassifierRetrainHook(pattern).before_train(_runner(model, iteration=5))
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name])


def test_missing_or_unfit_checkpoint_is_one_clear_error(stage1, tmp_path):
    _, pattern = stage1
    with pytest.raises(FileNotFoundError, match='seed3'):
        ClassifierRetrainHook(pattern).before_train(_runner(_model(), seed=3))
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': nn.Linear(2, 2).state_dict()}, other)
    with pytest.raises(ValueError, match='does not fit the model'):
        ClassifierRetrainHook(str(other)).before_train(_runner(_model()))
    with pytest.raises(ValueError, match='checkpoint must be'):
        ClassifierRetrainHook('')
