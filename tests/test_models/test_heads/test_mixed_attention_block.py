# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

import medproto  # noqa: F401
from medproto.models.heads import MixedAttentionBlock

K, M, D = 3, 2, 8


def _setup(layer_scale_init=1.):
    torch.manual_seed(0)
    block = MixedAttentionBlock(
        D, num_heads=2, layer_scale_init=layer_scale_init).eval()
    protos = torch.randn(K * M, D)
    groups = torch.arange(K).repeat_interleave(M)
    active = torch.tensor([True, True, True, False, True, True])
    tokens = torch.randn(2, 5, D)
    return block, protos, tokens, groups, active


@pytest.mark.parametrize('layer_scale_init', [1., None])
def test_shape_and_per_image_independence(layer_scale_init):
    block, protos, tokens, groups, active = _setup(layer_scale_init)
    out = block(protos, tokens, groups, active)
    assert out.shape == (2, K * M, D)
    tokens2 = tokens.clone()
    tokens2[1] += 1.
    out2 = block(protos, tokens2, groups, active)
    assert torch.allclose(out[0], out2[0])
    assert not torch.allclose(out[1], out2[1])


def test_identity_at_init():
    # Zero layer scales: the refined prototypes are the shared ones, the
    # space the momentum updates work in; the scales still get gradients.
    block, protos, tokens, groups, active = _setup(0.)
    block.train()
    out = block(protos, tokens, groups, active)
    assert torch.equal(out, protos.expand(2, -1, -1))
    out.pow(2).sum().backward()
    assert block.gamma1.grad.abs().sum() > 0
    # The post-norm layout is far from the identity at init.
    legacy = _setup(None)[0]
    assert not torch.allclose(
        legacy(protos, tokens, groups, active), out, atol=0.1)


@pytest.mark.parametrize('layer_scale_init', [1., None])
def test_inactive_prototypes_are_never_keys(layer_scale_init):
    block, protos, tokens, groups, active = _setup(layer_scale_init)
    out = block(protos, tokens, groups, active)
    protos2 = protos.clone()
    protos2[3] = 10.  # the inactive slot
    out2 = block(protos2, tokens, groups, active)
    keep = torch.tensor([0, 1, 2, 4, 5])
    assert torch.allclose(out[:, keep], out2[:, keep], atol=1e-6)


def test_local_branch_stays_within_the_class():
    block, protos, tokens, groups, active = _setup()
    with torch.no_grad():
        block.gate_logits.copy_(torch.tensor([-1e4, -1e4, 0.]))
    out = block(protos, tokens, groups, active)
    protos2 = protos.clone()
    protos2[4] = -2. * protos2[4]  # class 2 (not a shift: LN removes it)
    out2 = block(protos2, tokens, groups, active)
    assert torch.allclose(out[:, :4], out2[:, :4], atol=1e-6)
    assert not torch.allclose(out[:, 5], out2[:, 5])
    # the global branch does mix classes
    with torch.no_grad():
        block.gate_logits.copy_(torch.tensor([-1e4, 0., -1e4]))
    assert not torch.allclose(
        block(protos, tokens, groups, active)[:, 0],
        block(protos2, tokens, groups, active)[:, 0])


def test_validation():
    with pytest.raises(ValueError, match='divisible'):
        MixedAttentionBlock(10, num_heads=4)
    with pytest.raises(ValueError, match='layer_scale_init'):
        MixedAttentionBlock(8, num_heads=2, layer_scale_init='0')
    block, protos, tokens, groups, active = _setup()
    with pytest.raises(ValueError, match='expected prototypes'):
        block(protos, tokens[..., :4], groups, active)
