# Copyright (c) medproto contributors. All rights reserved.
"""Folding of eval-mode BatchNorm and per-channel affine maps into convs.

A BatchNorm layer in eval mode is the per-channel affine map
``y = s * x + t`` with ``s = gamma / sqrt(running_var + eps)`` and
``t = beta - s * running_mean``. Placed right after (or, for 1x1 convs,
right before) a convolution it can be folded into the convolution's weight
and bias, which removes one pass over the feature map at inference
(RepVGG, Ding et al., CVPR 2021, section 3.3).
"""
from typing import Tuple

import torch
from torch import Tensor, nn

__all__ = [
    'bn_to_affine', 'fuse_conv_bn', 'fuse_affine_conv1x1', 'fuse_modules'
]


def bn_to_affine(bn: nn.BatchNorm2d) -> Tuple[Tensor, Tensor]:
    """The per-channel scale and shift of an eval-mode BatchNorm.

    Args:
        bn (nn.BatchNorm2d): A BatchNorm with running statistics.

    Returns:
        tuple[Tensor, Tensor]: ``(scale, shift)``, each of shape (C,), such
        that ``bn.eval()(x) == x * scale[:, None, None] + shift[:, None,
        None]``.
    """
    if not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(f'expected nn.BatchNorm2d, got {type(bn).__name__}')
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError('cannot fold a BatchNorm without running '
                         'statistics (track_running_stats=False)')
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def _clone_conv(conv: nn.Conv2d, weight: Tensor, bias: Tensor) -> nn.Conv2d:
    """A conv with ``conv``'s geometry and the given weight and bias."""
    # type(conv) keeps subclasses such as PointwiseConv2d.
    fused = type(conv)(
        conv.in_channels,
        weight.shape[0],
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
        padding_mode=conv.padding_mode).to(weight.device, weight.dtype)
    fused.weight.data.copy_(weight)
    fused.bias.data.copy_(bias)
    return fused


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Fold ``bn`` (applied after ``conv``) into a new conv with bias.

    Args:
        conv (nn.Conv2d): The convolution, of any groups / dilation.
        bn (nn.BatchNorm2d): The BatchNorm over ``conv``'s output.

    Returns:
        nn.Conv2d: A conv equal to ``bn.eval()(conv(x))``.
    """
    if bn.num_features != conv.out_channels:
        raise ValueError(f'BatchNorm has {bn.num_features} channels but the '
                         f'conv outputs {conv.out_channels}')
    scale, shift = bn_to_affine(bn)
    weight = conv.weight * scale.view(-1, 1, 1, 1)
    bias = shift if conv.bias is None else conv.bias * scale + shift
    return _clone_conv(conv, weight, bias)


@torch.no_grad()
def fuse_affine_conv1x1(scale: Tensor, shift: Tensor,
                        conv: nn.Conv2d) -> nn.Conv2d:
    """Fold a per-channel affine map applied *before* a 1x1 conv into it.

    Args:
        scale (Tensor): Shape (C_in,).
        shift (Tensor): Shape (C_in,).
        conv (nn.Conv2d): A dense (``groups == 1``) 1x1 convolution.

    Returns:
        nn.Conv2d: A conv equal to ``conv(x * scale + shift)``.
    """
    if conv.kernel_size != (1, 1) or conv.groups != 1:
        raise ValueError('only a dense 1x1 conv can absorb a preceding '
                         f'affine map, got kernel {conv.kernel_size} and '
                         f'groups {conv.groups}')
    w2d = conv.weight[:, :, 0, 0]
    weight = w2d * scale.view(1, -1)
    bias = w2d @ shift
    if conv.bias is not None:
        bias = bias + conv.bias
    return _clone_conv(conv, weight[:, :, None, None], bias)


def fuse_modules(model: nn.Module) -> nn.Module:
    """Call ``fuse()`` on every submodule that has one, deepest first.

    Fusion folds BatchNorm statistics, so it is only valid for inference:
    the model is put in eval mode first and must not be trained afterwards.

    Args:
        model (nn.Module): The model, changed in place.

    Returns:
        nn.Module: ``model``, for chaining.
    """
    model.eval()
    # Collect first: fuse() replaces children while we walk.
    fusable = [m for m in model.modules() if m is not model and hasattr(
        m, 'fuse') and callable(m.fuse)]
    for module in reversed(fusable):
        module.fuse()
    return model
