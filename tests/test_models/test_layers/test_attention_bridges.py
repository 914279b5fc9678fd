# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from medproto.models.layers import LSCAB, SCAttentionBridge

CHANNELS = (8, 16, 24, 32, 48)


def skips(size=128, batch=2):
    return [torch.randn(batch, c, size // 2**i, size // 2**i)
            for i, c in enumerate(CHANNELS)]


def gap_mix(feats, mixer):
    g = torch.cat([f.mean((2, 3)) for f in feats], 1)
    return F.conv1d(g[:, None], mixer.weight, padding=1)[:, 0]


def mean_max(t):
    return torch.cat([t.mean(1, keepdim=True), t.amax(1, keepdim=True)], 1)


def test_sc_att_bridge_matches_malunet():
    bridge = SCAttentionBridge(CHANNELS)
    assert sum(p.numel() for p in bridge.parameters()) == 16_614
    feats = skips()
    conv = bridge.satt.conv
    assert conv.dilation == (3, 3) and conv.padding == (9, 9)
    spatial = [torch.sigmoid(conv(mean_max(t))) * t for t in feats]
    mixed = [s + t for s, t in zip(spatial, feats)]
    g = gap_mix(mixed, bridge.catt.mixer)
    expected = [torch.sigmoid(head(g))[..., None, None] * u + s
                for head, u, s in zip(bridge.catt.heads, mixed, spatial)]
    for out, exp in zip(bridge(feats), expected):
        assert torch.allclose(out, exp, atol=1e-6)
    conv_split = SCAttentionBridge(CHANNELS, split_att='conv')
    assert [o.shape for o in conv_split(feats)] == [f.shape for f in feats]


def test_lscab_matches_microaunet():
    bridge = LSCAB(CHANNELS)
    assert sum(p.numel() for p in bridge.parameters()) == 16_615
    assert bridge.alpha.item() == bridge.beta.item() == 0.5
    with torch.no_grad():
        bridge.alpha.fill_(0.3)
        bridge.beta.fill_(0.9)
    feats = skips()
    att = torch.sigmoid(bridge.catt.fc(gap_mix(feats, bridge.catt.mixer)))
    catts = att.split(list(CHANNELS), 1)
    for t, c, out in zip(feats, catts, bridge(feats)):
        s = torch.sigmoid(bridge.satt.conv(
            F.pad(mean_max(t), [3] * 4, mode='reflect')))
        expected = (0.3 * c[..., None, None] + 0.9 * s) * t + t
        assert torch.allclose(out, expected, atol=1e-5)


def test_bridges_check_their_inputs():
    with pytest.raises(ValueError, match='channels'):
        LSCAB(CHANNELS)(skips()[:4])
    with pytest.raises(ValueError, match='channels'):
        SCAttentionBridge(CHANNELS)(skips()[::-1])
    with pytest.raises(ValueError, match='at least 128 px'):
        LSCAB(CHANNELS)(skips(size=32))
    with pytest.raises(ValueError, match='split_att'):
        SCAttentionBridge(CHANNELS, split_att='mlp')
    with pytest.raises(ValueError, match='skip channels'):
        LSCAB([8, 0])
