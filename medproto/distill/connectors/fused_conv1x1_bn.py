# Copyright (c) medproto contributors. All rights reserved.
"""A 1x1 convolution followed by training-mode BatchNorm, as matrix
products (nothing here is registered)."""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

__all__ = [
    'conv1x1_bn_train', 'conv1x1_bn_train_at', 'can_fuse_conv1x1_bn',
    'MIN_FUSED_PIXELS'
]

#: The fewest pixels per image (H * W) for which the fused form is used.
#: Below it (a few small matrix products per image) it saves nothing on
#: CPU: in one-thread timings of MAUNet's skip shapes (contiguous inputs,
#: forward and backward) it took 0.62x the time of the two modules at
#: 128x128, 0.85x at 64x64, 1.04x at 32x32 and up to 1.3x at 8x8.
MIN_FUSED_PIXELS = 4096


class _Conv1x1BatchNorm(torch.autograd.Function):
    """``BN_train(W x)`` for ``x`` (N, C_in, H, W) and ``W`` (C_out, C_in).

    The batch statistics of ``y = W x`` follow from those of ``x``: the
    mean is ``W mu`` and the biased variance of output channel ``i`` is
    ``W_i Cov(x) W_i^T`` with the (C_in, C_in) covariance of the centred
    input ``x_c = x - mu`` (over all N * H * W pixels). So ``BN(W x) =
    A x_c + beta`` with ``A = diag(gamma / sqrt(var + eps)) W``: forward,
    one pass for ``x_c``, one small Gram matrix and one matrix product per
    image that writes the normalised output directly. Backward, with ``g``
    the output gradient: ``dbeta = sum g``, ``dA = sum_n g_n x_c,n^T``,
    the gradients of ``gamma`` and ``W`` through ``A`` and the variance,
    and ``dx = A^T g + (2 / n) G x_c - A^T dbeta / n`` with
    ``G = W^T diag(dvar) W`` (the covariance's share; the last term is the
    mean's). Three matrix products per image in all, against BatchNorm's
    separate statistics, normalisation and backward passes over the
    (N, C_out, H, W) map.

    With ``pixels = (batch_idx, pixel_idx)`` only those M pixels of the
    output are computed, as an (M, C_out) matrix ``x_c[b, :, p] A^T +
    beta`` (the statistics still over all pixels): the output map and its
    gradient are never built, and ``A^T g`` goes to those pixels only.
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, gamma: Tensor, beta: Tensor,
                eps: float, pixels: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, Tensor, Tensor]:
        num_images, channels, height, width = x.shape
        count = num_images * height * width
        # The products below, with their tiny inner or outer dimension C_in,
        # are several times slower on (transposed) channels-last matrices
        # with MKL: x_c is written contiguous whatever the layout of x
        # (e.g. MAUNet's channels-last skips), and the gradient is copied
        # back to that layout.
        ctx.channels_last = not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last)
        mu = x.sum(dim=(0, 2, 3)) / count
        x_c = torch.sub(x, mu.view(1, channels, 1, 1),
                        out=x.new_empty(x.shape)).flatten(2)
        cov = torch.bmm(x_c, x_c.transpose(1, 2)).sum(dim=0) / count
        w_cov = weight @ cov
        var = (w_cov * weight).sum(dim=1)
        inv_std = torch.rsqrt(var + eps)
        a = (gamma * inv_std)[:, None] * weight
        if pixels is not None:  # (M, C_in) rows of the sampled pixels
            batch_idx, pixel_idx = pixels
            rows = x_c[batch_idx, :, pixel_idx]
            out = torch.addmm(beta, rows, a.t())
            ctx.pixels = (batch_idx, pixel_idx)
            ctx.save_for_backward(x_c, weight, gamma, inv_std, a, w_cov,
                                  rows)
        else:
            out = x.new_empty(num_images, weight.size(0), height, width)
            out3 = out.view(num_images, weight.size(0), height * width)
            bias = beta[:, None]
            for n in range(num_images):
                torch.addmm(bias, a, x_c[n], out=out3[n])
            ctx.pixels = None
            ctx.save_for_backward(x_c, weight, gamma, inv_std, a, w_cov)
        ctx.count = count
        ctx.shape = x.shape
        mean = weight @ mu
        ctx.mark_non_differentiable(mean, var)
        return out, mean, var

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor, _grad_mean: Optional[Tensor],
                 _grad_var: Optional[Tensor]):
        x_c, weight, gamma, inv_std, a, w_cov = ctx.saved_tensors[:6]
        count = ctx.count
        if ctx.pixels is not None:  # grad: (M, C_out)
            rows = ctx.saved_tensors[6]
            grad = grad.contiguous()
            grad_beta = grad.sum(dim=0)
            grad_a = grad.t() @ rows
        else:
            grad = grad.reshape(grad.size(0), grad.size(1), -1).contiguous()
            grad_beta = grad.sum(dim=(0, 2))
            grad_a = grad.new_zeros(a.shape)
            for n in range(grad.size(0)):
                grad_a.addmm_(grad[n], x_c[n].t())
        # a = gamma * inv_std * W, inv_std = (W cov W^T + eps)^(-1/2)
        grad_scale = (grad_a * weight).sum(dim=1)
        grad_gamma = grad_scale * inv_std
        grad_var = grad_scale * gamma * (-0.5) * inv_std**3
        grad_weight = (gamma * inv_std)[:, None] * grad_a \
            + 2.0 * grad_var[:, None] * w_cov
        grad_x = None
        if ctx.needs_input_grad[0]:
            gram = (weight.t() * grad_var) @ weight * (2.0 / count)
            shift = -(a.t() @ grad_beta / count)[:, None]
            a_t = a.t()
            grad_x = torch.empty_like(x_c)
            if ctx.pixels is not None:
                for n in range(x_c.size(0)):
                    torch.addmm(shift, gram, x_c[n], out=grad_x[n])
                grad_x.permute(0, 2, 1).index_put_(ctx.pixels, grad @ a,
                                                   accumulate=True)
            else:
                for n in range(grad.size(0)):
                    torch.addmm(shift, a_t, grad[n], out=grad_x[n])
                    grad_x[n].addmm_(gram, x_c[n])
            grad_x = grad_x.view(ctx.shape)
            if ctx.channels_last:
                grad_x = grad_x.contiguous(memory_format=torch.channels_last)
        return grad_x, grad_weight, grad_gamma, grad_beta, None, None


def can_fuse_conv1x1_bn(x: Tensor, conv: nn.Conv2d, bn: nn.BatchNorm2d,
                        any_size: bool = False) -> bool:
    """Whether :func:`conv1x1_bn_train` computes ``bn(conv(x))`` here.

    True for maps of at least :data:`MIN_FUSED_PIXELS` pixels per image
    (any size with ``any_size``, for :func:`conv1x1_bn_train_at`), a
    bias-free 1x1, stride-1, ungrouped
    ``conv`` followed by an affine ``bn`` that normalises with the batch
    statistics (training mode or no running statistics), on a float32 /
    float64 CPU tensor (N, C, H, W) with more than one value per channel,
    outside autocast. Elsewhere (eval mode, CUDA, mixed precision) the
    modules run as they are.
    """
    return (x.dim() == 4 and x.device.type == 'cpu'
            and x.dtype in (torch.float32, torch.float64)
            and conv.weight.dtype == x.dtype
            and conv.kernel_size == (1, 1) and conv.stride == (1, 1)
            and conv.padding == (0, 0) and conv.dilation == (1, 1)
            and conv.groups == 1 and conv.bias is None
            and bn.affine and bn.weight.dtype == x.dtype
            and (bn.training or bn.running_mean is None)
            and (any_size or x.size(2) * x.size(3) >= MIN_FUSED_PIXELS)
            and x.size(0) * x.size(2) * x.size(3) > 1
            and not torch.is_autocast_enabled())


def conv1x1_bn_train(x: Tensor, conv: nn.Conv2d,
                     bn: nn.BatchNorm2d) -> Tensor:
    """``bn(conv(x))`` for a 1x1 conv and a BatchNorm on batch statistics.

    The same output, gradients (for ``x``, the conv weight and the
    BatchNorm's affine parameters) and running-statistics update as the
    two modules, within float rounding, with the BatchNorm folded into the
    matrix product (see :class:`_Conv1x1BatchNorm`): on CPU about 0.6x the
    time of the two modules for few channels and many pixels (e.g.
    MAUNet's 8-channel 128x128 skip to 16 channels). Check
    :func:`can_fuse_conv1x1_bn` first.

    Args:
        x (Tensor): (N, C_in, H, W); a channels-last ``x`` gets its
            gradient in that layout.
        conv (nn.Conv2d): 1x1 conv without bias, C_in -> C_out.
        bn (nn.BatchNorm2d): Over C_out, affine, in training mode (or
            without running statistics).

    Returns:
        Tensor: (N, C_out, H, W), contiguous.
    """
    return _fused(x, conv, bn, None)


def conv1x1_bn_train_at(x: Tensor, conv: nn.Conv2d, bn: nn.BatchNorm2d,
                        batch_idx: Tensor, pixel_idx: Tensor) -> Tensor:
    """``bn(conv(x)).flatten(2)[batch_idx, :, pixel_idx]`` without the map.

    Only the M selected pixels of the output are computed; the
    BatchNorm's statistics (and its running statistics' update) are those
    of all N * H * W pixels, as in :func:`conv1x1_bn_train`, so the values
    and the gradients (for ``x``, the conv weight and the affine
    parameters) are those of indexing the full output, within float
    rounding. E.g. pixel InfoNCE reads 2 x 256 of the 128 x 128 pixels of
    each image's embedding. Check :func:`can_fuse_conv1x1_bn` first (its
    size threshold does not apply here).

    Args:
        x (Tensor): (N, C_in, H, W).
        conv (nn.Conv2d): 1x1 conv without bias, C_in -> C_out.
        bn (nn.BatchNorm2d): Over C_out, affine, on batch statistics.
        batch_idx (Tensor): (M,) long image indices.
        pixel_idx (Tensor): (M,) long flat pixel indices (``h * W + w``);
            the pairs must be distinct.

    Returns:
        Tensor: (M, C_out).
    """
    return _fused(x, conv, bn, (batch_idx, pixel_idx))


def _fused(x: Tensor, conv: nn.Conv2d, bn: nn.BatchNorm2d,
           pixels: Optional[Tuple[Tensor, Tensor]]) -> Tensor:
    weight = conv.weight.reshape(conv.out_channels, conv.in_channels)
    out, mean, var = _Conv1x1BatchNorm.apply(x, weight, bn.weight, bn.bias,
                                             float(bn.eps), pixels)
    if bn.training and bn.track_running_stats:
        _update_running_stats(bn, mean, var, x.numel() // x.size(1))
    return out


@torch.no_grad()
def _update_running_stats(bn: nn.BatchNorm2d, mean: Tensor, var: Tensor,
                          count: int) -> None:
    """What ``nn.BatchNorm2d.forward`` does to its buffers in training:
    count the batch, then move the running mean and the unbiased running
    variance towards the batch's by ``momentum`` (a cumulative average
    when ``momentum`` is None)."""
    if bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
    if bn.running_mean is None:
        return
    if bn.momentum is None:  # cumulative average (0 without a count)
        factor = (0.0 if bn.num_batches_tracked is None else
                  1.0 / float(bn.num_batches_tracked))
    else:
        factor = bn.momentum
    bn.running_mean.mul_(1.0 - factor).add_(mean, alpha=factor)
    bn.running_var.mul_(1.0 - factor).add_(var * (count / (count - 1)),
                                           alpha=factor)
