# Copyright (c) medproto contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from medproto.models.layers import (DilatedGatedAttention, GatedAttentionUnit,
                                    InvertedExternalAttention,
                                    malunet_init_weights)


def test_iea_formula_and_double_normalisation():
    iea = InvertedExternalAttention(8)
    assert iea.num_memory == 32
    x = torch.randn(2, 8, 5, 6)
    a = iea.proj_in(x).flatten(2)
    attn = torch.einsum('kc,bcn->bkn', iea.memory_key.weight[..., 0], a)
    attn = attn.softmax(-1)
    attn = attn / (1e-9 + attn.sum(1, keepdim=True))
    assert torch.allclose(attn.sum(1), torch.ones(2, 30), atol=1e-5)
    out = torch.einsum('ck,bkn->bcn', iea.memory_value.weight[..., 0], attn)
    expected = F.gelu(iea.norm(iea.proj_out(out.view(2, 8, 5, 6))) + x)
    assert torch.allclose(iea(x), expected, atol=1e-5)
    with pytest.raises(ValueError, match='memory_ratio'):
        InvertedExternalAttention(8, memory_ratio=0)


def test_iea_memories_are_tied_at_init_only():
    iea = InvertedExternalAttention(16)
    key, value = iea.memory_key.weight, iea.memory_value.weight
    assert torch.equal(key, value.permute(1, 0, 2))
    with torch.no_grad():
        key.add_(1.)
    assert not torch.equal(key, value.permute(1, 0, 2))


def test_dga_splits_channels_over_dilations():
    dga = DilatedGatedAttention(8, 12)
    dilations = [c.dilation[0] for c in dga.dilated_convs]
    assert dilations == [7, 5, 2, 1]
    assert [c.padding[0] for c in dga.dilated_convs] == dilations
    assert dga(torch.randn(2, 8, 16, 16)).shape == (2, 12, 16, 16)
    # an impulse 7 px right of the centre reaches it through chunk 0
    # (dilation 7) but not through chunk 3 (dilation 1)
    x = torch.zeros(1, 8, 16, 16)
    x[:, :, 8, 15] = 1.
    ys = [c(t) - c.bias.view(1, -1, 1, 1)
          for c, t in zip(dga.dilated_convs, x.chunk(4, 1))]
    assert torch.all(ys[0][0, :, 8, 8] != 0)
    assert torch.all(ys[3][0, :, 8, 8] == 0)
    with pytest.raises(ValueError, match='divisible'):
        DilatedGatedAttention(10, 12)


def test_gau_formula():
    gau = GatedAttentionUnit(8, 4)
    x = torch.randn(1, 8, 6, 6)
    expected = F.gelu(gau.proj(torch.sigmoid(gau.gate(x)) *
                               F.gelu(gau.value(x)))) + gau.shortcut(x)
    assert torch.allclose(gau(x), expected)
    assert gau.value.dw.kernel_size == (5, 5)


def test_malunet_init_rule():
    dw = torch.nn.Conv2d(64, 64, 3, groups=64)
    dense = torch.nn.Conv2d(64, 64, 3)
    conv1d = torch.nn.Conv1d(16, 64, 1)
    linear = torch.nn.Linear(128, 128)
    for m in (dw, dense, conv1d, linear):
        malunet_init_weights(m)
    assert dw.weight.std().item() == pytest.approx(math.sqrt(2 / 9), rel=.2)
    assert dense.weight.std().item() == pytest.approx(
        math.sqrt(2 / (9 * 64)), rel=.1)
    assert conv1d.weight.std().item() == pytest.approx(math.sqrt(2 / 64),
                                                       rel=.1)
    assert linear.weight.std().item() == pytest.approx(.02, rel=.1)
    assert torch.all(dw.bias == 0) and torch.all(linear.bias == 0)
