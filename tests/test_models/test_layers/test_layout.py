# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.models.layers import nchw_to_nhwc, nchw_to_tokens, nhwc_to_nchw


def test_positions_keep_their_channel_vectors():
    x = torch.randn(2, 5, 3, 4)
    nhwc = nchw_to_nhwc(x)
    tokens = nchw_to_tokens(x)
    assert nhwc.shape == (2, 3, 4, 5) and tokens.shape == (2, 12, 5)
    for h in range(3):
        for w in range(4):
            assert torch.equal(nhwc[:, h, w], x[:, :, h, w])
            assert torch.equal(tokens[:, h * 4 + w], x[:, :, h, w])
    assert torch.equal(nhwc_to_nchw(nhwc), x)
    # the public bug: a plain reshape scrambles channels and positions
    assert not torch.equal(x.reshape(2, 3, 4, 5), nhwc)


def test_rank_is_checked():
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        nchw_to_nhwc(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r'\(B, H, W, C\)'):
        nhwc_to_nchw(torch.randn(2, 3))
