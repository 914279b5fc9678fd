# Copyright (c) medproto contributors. All rights reserved.
import copy

import pytest
import torch
from torch import nn

from medproto.distill.connectors import Conv1x1Connector
from medproto.distill.connectors.fused_conv1x1_bn import (
    MIN_FUSED_PIXELS, can_fuse_conv1x1_bn, conv1x1_bn_train)


def _reference(conv: nn.Conv2d, bn: nn.BatchNorm2d, x: torch.Tensor):
    """The previous formulation: the two modules, written out with
    F.conv2d and F.batch_norm (running statistics updated in place)."""
    y = nn.functional.conv2d(x, conv.weight)
    if bn.training and bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
    factor = bn.momentum
    if factor is None:
        factor = 1.0 / float(bn.num_batches_tracked)
    return nn.functional.batch_norm(y, bn.running_mean, bn.running_var,
                                    bn.weight, bn.bias, True, factor,
                                    bn.eps)


def _pair(cin, cout, dtype, momentum=0.1):
    torch.manual_seed(0)
    conn = Conv1x1Connector(cin, cout).to(dtype)
    conn.layers[1].momentum = momentum
    nn.init.uniform_(conn.layers[1].weight, 0.5, 1.5)
    nn.init.normal_(conn.layers[1].bias)
    return conn, copy.deepcopy(conn)


def _assert_same_backward(conn, ref, x_new, x_ref, y_new, y_ref):
    """Backpropagate one random output gradient through both float64
    paths; the input and parameter gradients and the buffers must match."""
    grad = torch.randn_like(y_ref)
    (y_new * grad).sum().backward()
    (y_ref * grad).sum().backward()
    torch.testing.assert_close(x_new.grad, x_ref.grad, rtol=1e-8,
                               atol=1e-12)
    for (name, p), q in zip(conn.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-8, atol=1e-12,
                                   msg=name)
    for (name, b), c in zip(conn.named_buffers(), ref.buffers()):
        torch.testing.assert_close(b, c, msg=name)


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-10),
                                       (torch.float32, 2e-4)])
@pytest.mark.parametrize('momentum', [0.1, None])
def test_fused_equals_conv_then_batchnorm(dtype, tol, momentum):
    conn, ref = _pair(5, 7, dtype, momentum)
    gen = torch.Generator().manual_seed(1)
    for step in range(2):  # the running statistics follow over steps
        # an offset input: the variance comes from centred values
        x = torch.randn(2, 5, 64, 80, generator=gen, dtype=dtype) * 3 + 5
        grad = torch.randn(2, 7, 64, 80, generator=gen, dtype=dtype)
        x_new, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        assert can_fuse_conv1x1_bn(x_new, *conn.layers)
        y_new = conn(x_new)
        y_ref = _reference(ref.layers[0], ref.layers[1], x_ref)
        torch.testing.assert_close(y_new, y_ref, rtol=tol, atol=tol)
        conn.zero_grad()
        ref.zero_grad()
        (y_new * grad).sum().backward()
        (y_ref * grad).sum().backward()
        scale = x_ref.grad.abs().max()
        torch.testing.assert_close(x_new.grad / scale, x_ref.grad / scale,
                                   rtol=0, atol=tol)
        for (name, p), q in zip(conn.named_parameters(), ref.parameters()):
            torch.testing.assert_close(p.grad / q.grad.abs().max(),
                                       q.grad / q.grad.abs().max(),
                                       rtol=0, atol=tol, msg=name)
        for (name, b), c in zip(conn.named_buffers(), ref.buffers()):
            torch.testing.assert_close(b, c, rtol=tol, atol=tol, msg=name)


def test_gradcheck():
    class Fused(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1, bias=False).double()
            self.bn = nn.BatchNorm2d(4, track_running_stats=False).double()

        def forward(self, x):
            return conv1x1_bn_train(x, self.conv, self.bn)

    module = Fused()
    # conv1x1_bn_train itself has no size threshold
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    names = ('conv.weight', 'bn.weight', 'bn.bias')
    params = tuple(
        dict(module.named_parameters())[n].detach().clone().requires_grad_()
        for n in names)

    def f(x, *values):
        return torch.func.functional_call(module, dict(zip(names, values)),
                                          (x, ))

    assert torch.autograd.gradcheck(f, (x, ) + params)


def test_where_the_modules_run_as_they_are():
    conn, ref = _pair(3, 4, torch.float32)
    big = torch.randn(2, 3, 64, 64)
    assert can_fuse_conv1x1_bn(big, *conn.layers)
    small = torch.randn(2, 3, 8, 8)
    assert not can_fuse_conv1x1_bn(small, *conn.layers)
    assert MIN_FUSED_PIXELS > 64
    torch.testing.assert_close(conn(small), ref.layers(small))
    conn.eval()
    ref.eval()
    assert not can_fuse_conv1x1_bn(big, *conn.layers)
    torch.testing.assert_close(conn(big), ref.layers(big))
    conn.train()
    assert not can_fuse_conv1x1_bn(big.half(), *conn.layers)
    no_norm = Conv1x1Connector(3, 4, norm=False)
    assert len(no_norm.layers) == 1  # plain conv path
    relu = Conv1x1Connector(3, 4, relu=True)
    out = relu(big)
    assert out.min() >= 0 and out.shape == (2, 4, 64, 64)


@pytest.mark.parametrize('train', [True, False])
def test_max_side_pools_the_input_first(train):
    """max_side: the conv and BN (its statistics too) see the input
    average-pooled to at most max_side per side."""
    conn, ref = _pair(4, 6, torch.float64)
    conn.max_side = 16
    conn.train(train)
    ref.train(train)
    x = torch.randn(2, 4, 64, 32, dtype=torch.float64) * 2 + 1
    x = x.contiguous(memory_format=torch.channels_last)  # as MAUNet's
    x_new, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    y_new = conn(x_new)
    y_ref = ref.layers(nn.functional.adaptive_avg_pool2d(x_ref, (16, 16)))
    assert y_new.shape == (2, 6, 16, 16)
    torch.testing.assert_close(y_new, y_ref, rtol=1e-10, atol=1e-12)
    _assert_same_backward(conn, ref, x_new, x_ref, y_new, y_ref)
    small = torch.randn(2, 4, 8, 8, dtype=torch.float64)  # kept as it is
    torch.testing.assert_close(conn(small), ref.layers(small))
    # not the same as pooling the full-resolution output in training
    full = nn.functional.adaptive_avg_pool2d(ref.layers(x), (16, 16))
    assert train == (not torch.allclose(conn(x), full))


def test_max_side_where_the_sides_do_not_divide():
    conn, ref = _pair(3, 5, torch.float64)
    conn.max_side = 16
    x = torch.randn(2, 3, 40, 24, dtype=torch.float64)
    torch.testing.assert_close(
        conn(x), ref.layers(nn.functional.adaptive_avg_pool2d(x, (16, 16))))
    with pytest.raises(ValueError, match='max_side'):
        Conv1x1Connector(3, 5, max_side=0)


def test_channels_last_input_gets_a_channels_last_gradient():
    conn, ref = _pair(4, 6, torch.float32)
    x = torch.randn(2, 4, 64, 64).contiguous(
        memory_format=torch.channels_last)
    x_new, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    y_new, y_ref = conn(x_new), ref.layers(x_ref)
    torch.testing.assert_close(y_new, y_ref, rtol=1e-4, atol=1e-4)
    grad = torch.randn(2, 6, 64, 64)
    (y_new * grad).sum().backward()
    (y_ref * grad).sum().backward()
    assert x_new.grad.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(x_new.grad, x_ref.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('train', [True, False])
def test_forward_at_equals_indexing_the_full_map(train):
    from medproto.distill.distillers.inputs import PixelwiseMap
    conn, ref = _pair(4, 6, torch.float64)
    conn.train(train)
    ref.train(train)
    x = (torch.randn(3, 4, 16, 8, dtype=torch.float64) * 2 + 1).contiguous(
        memory_format=torch.channels_last)
    batch_idx = torch.tensor([0, 0, 1, 2, 2, 2])
    pixel_idx = torch.tensor([0, 127, 5, 5, 6, 64])
    x_new, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    pixels = PixelwiseMap(conn, [x_new])
    assert pixels.shape == (3, 6, 16, 8) and pixels.dim() == 4
    y_new = pixels.at(batch_idx, pixel_idx)
    y_ref = ref(x_ref).flatten(2)[batch_idx, :, pixel_idx]
    assert y_new.shape == (6, 6)
    torch.testing.assert_close(y_new, y_ref, rtol=1e-10, atol=1e-12)
    _assert_same_backward(conn, ref, x_new, x_ref, y_new, y_ref)
    with pytest.raises(RuntimeError, match='once'):
        pixels.at(batch_idx, pixel_idx)
