# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from medproto.models.layers import PointwiseConv2d


def test_fast_path_only_where_it_pays_and_is_exact():
    conv = PointwiseConv2d(3, 8)
    x = torch.randn(2, 3, 128, 128, requires_grad=True)
    xc = x.detach().contiguous(memory_format=torch.channels_last)
    xc.requires_grad_()
    assert conv._use_onednn(xc) == torch.backends.mkldnn.is_available()
    assert not conv._use_onednn(x.detach())  # NCHW input
    assert not conv._use_onednn(xc[:, :, :64, :64])  # small map
    assert not PointwiseConv2d(3, 16)._use_onednn(xc)  # many outputs
    assert not PointwiseConv2d(3, 8, bias=False)._use_onednn(xc)
    out = conv(xc)
    ref = F.conv2d(x, conv.weight, conv.bias)
    assert torch.allclose(out, ref, atol=1e-5)
    assert out.is_contiguous(memory_format=torch.channels_last)
    grad = torch.randn_like(ref)
    w_grad, = torch.autograd.grad(out, conv.weight, grad)
    w_ref, = torch.autograd.grad(ref, conv.weight, grad)
    assert torch.allclose(w_grad, w_ref, rtol=1e-4, atol=1e-3)


def test_tracing_takes_the_plain_path():
    conv = PointwiseConv2d(3, 8).eval()
    x = torch.randn(1, 3, 128, 128).contiguous(
        memory_format=torch.channels_last)
    traced = torch.jit.trace(conv, x)
    assert 'mkldnn_convolution' not in str(traced.graph)
    assert torch.allclose(traced(x), conv(x), atol=1e-5)


@pytest.mark.parametrize('kwargs', [dict(kernel_size=3), dict(groups=3),
                                    dict(stride=2), dict(padding=1)])
def test_only_a_dense_1x1_conv(kwargs):
    with pytest.raises(ValueError, match='dense 1x1'):
        PointwiseConv2d(3, 3, **kwargs)
