# Copyright (c) medproto contributors. All rights reserved.
"""Knowledge review distillation (Chen et al., CVPR 2021)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (check_positive_int, check_warmup, paired_tensor_lists,
                    warmup_factor)

Size = Union[int, Sequence[int]]


def _as_size(name: str, value: Size) -> Tuple[int, int]:
    """``8`` or ``(8, 8)`` -> ``(8, 8)``, validated."""
    size = (value, value) if isinstance(value, int) else tuple(value)
    if len(size) != 2 or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1
            for v in size):
        raise ValueError(f'{name} must be an int >= 1 or a pair (H, W) of '
                         f'them, got {value!r}')
    return size


def hierarchical_context_loss(feat_S: Tensor, feat_T: Tensor,
                              levels: Sequence[int]) -> Tensor:
    """HCL: MSE on the full maps plus on pooled pyramids, weight-averaged.

    ``HCL = [MSE(f_S, f_T) + sum_k 2^-k MSE(pool_{l_k} f_S, pool_{l_k} f_T)]
    / (1 + sum_k 2^-k)``, where ``l_1, l_2, ...`` are the pyramid ``levels``
    smaller than the map (adaptive average pooling to ``l x l``).

    Args:
        feat_S (Tensor): Fused student feature, (N, C, H, W).
        feat_T (Tensor): Teacher feature, same shape.
        levels (Sequence[int]): Pyramid output sizes, e.g. ``(4, 2, 1)``.

    Returns:
        Tensor: Scalar loss.
    """
    loss = F.mse_loss(feat_S, feat_T)
    weight, total = 1.0, 1.0
    for level in levels:
        if level >= min(feat_S.shape[-2:]):
            continue
        weight /= 2.0
        loss = loss + weight * F.mse_loss(
            F.adaptive_avg_pool2d(feat_S, level),
            F.adaptive_avg_pool2d(feat_T, level))
        total += weight
    return loss / total


class _ABF(nn.Module):
    """Attention-based fusion of one student level with the deeper residual.

    ``x = BN(Conv1x1(f))``; with fusion ``a = sigmoid(Conv1x1([x, r]))``
    (two maps) and ``x = a_0 x + a_1 r`` with ``r`` the deeper level's
    output resized (nearest) to ``x``; ``x`` is resized to the output size
    and returned as the next residual, together with ``BN(Conv3x3(x))``.
    """

    def __init__(self, in_channels: int, mid_channels: int,
                 out_channels: int, fuse: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.BatchNorm2d(mid_channels))
        self.project = nn.Sequential(
            nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.attention = nn.Sequential(
            nn.Conv2d(2 * mid_channels, 2, 1), nn.Sigmoid()) if fuse else None
        nn.init.kaiming_uniform_(self.reduce[0].weight, a=1)
        nn.init.kaiming_uniform_(self.project[0].weight, a=1)

    def forward(self, feat: Tensor, residual: Optional[Tensor],
                out_size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        x = self.reduce(feat)
        if self.attention is not None:
            residual = F.interpolate(residual, x.shape[-2:], mode='nearest')
            att = self.attention(torch.cat([x, residual], dim=1))
            x = x * att[:, :1] + residual * att[:, 1:]
        if tuple(x.shape[-2:]) != tuple(out_size):
            x = F.interpolate(x, out_size, mode='nearest')
        return self.project(x), x


@MODELS.register_module()
class ReviewKDLoss(BaseDistillLoss):
    """Review KD: ABF-fused student features vs teacher features with HCL.

    Chen, Liu, Zhao & Jia, "Distilling Knowledge via Knowledge Review",
    CVPR 2021. The student levels are visited deep -> shallow; each goes
    through an attention-based fusion (ABF) module that mixes it with the
    output of the deeper level, and each fused map is compared to the
    teacher's feature of that level with the hierarchical context loss
    (:func:`hierarchical_context_loss`):
    ``L = loss_weight * min(progress / warmup, 1) * sum_l HCL_l``.

    The ABF modules are parameters of this loss and are trained with the
    student. All lists are ordered **shallow -> deep** like ``feats_S``
    (mdistiller orders its ``SHAPES`` deep -> shallow). A 2-D pooled feature
    (N, C) is accepted as a 1 x 1 map, as mdistiller appends the pooled
    feature as the deepest level. mdistiller's CIFAR setting: channels
    ``[64, 128, 256, 256]`` (shallow -> deep), sizes ``[32, 16, 8, 1]``,
    weight 1 (5 for res32x4 -> res8x4), 20 warm-up epochs.

    Args:
        in_channels (Sequence[int]): Student channels per level.
        out_channels (Sequence[int]): Teacher channels per level.
        mid_channel (int, optional): ABF width; ``min(512,
            in_channels[-1])`` when None. Defaults to None.
        shapes (Sequence[int | tuple], optional): Expected student spatial
            sizes per level, checked at run time. Defaults to None.
        out_shapes (Sequence[int | tuple], optional): Sizes the fused maps
            are resized to; the teacher feature sizes when None.
            Defaults to None.
        warmup_epochs (int, optional): Linear warm-up in epochs.
            Defaults to 20.
        warmup_iters (int, optional): Linear warm-up in iterations; used
            instead of ``warmup_epochs`` when set. Defaults to None.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        pyramid_levels (Sequence[int]): HCL pooling sizes.
            Defaults to ``(4, 2, 1)``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 mid_channel: Optional[int] = None,
                 shapes: Optional[Sequence[Size]] = None,
                 out_shapes: Optional[Sequence[Size]] = None,
                 warmup_epochs: Optional[int] = 20,
                 warmup_iters: Optional[int] = None,
                 loss_weight: float = 1.0,
                 pyramid_levels: Sequence[int] = (4, 2, 1)) -> None:
        super().__init__(loss_weight)
        if not isinstance(in_channels, (list, tuple)) or not in_channels:
            raise ValueError('in_channels must be a non-empty list of ints, '
                             f'got {in_channels!r}')
        num_levels = len(in_channels)
        self.in_channels = [
            check_positive_int(f'in_channels[{i}]', c)
            for i, c in enumerate(in_channels)
        ]
        self.out_channels = self._per_level('out_channels', out_channels,
                                            num_levels, check_positive_int)
        self.shapes = self._per_level('shapes', shapes, num_levels, _as_size)
        self.out_shapes = self._per_level('out_shapes', out_shapes,
                                          num_levels, _as_size)
        if mid_channel is None:
            mid_channel = min(512, self.in_channels[-1])
        self.mid_channel = check_positive_int('mid_channel', mid_channel)
        self.pyramid_levels = [
            check_positive_int(f'pyramid_levels[{i}]', level)
            for i, level in enumerate(pyramid_levels)
        ]
        check_warmup(warmup_iters, warmup_epochs)
        self.warmup_epochs = warmup_epochs
        self.warmup_iters = warmup_iters
        # The deepest level has nothing deeper to fuse with.
        self.abfs = nn.ModuleList(
            _ABF(c_in, self.mid_channel, c_out, fuse=i < num_levels - 1)
            for i, (c_in, c_out) in enumerate(
                zip(self.in_channels, self.out_channels)))

    @staticmethod
    def _per_level(name: str, values: Optional[Sequence], num_levels: int,
                   check) -> Optional[List]:
        """Validate a per-level list (one entry per student level)."""
        if values is None and name in ('shapes', 'out_shapes'):
            return None
        if not isinstance(values, (list, tuple)) or len(values) != num_levels:
            raise ValueError(f'{name} must be a list with one entry per level'
                             f' ({num_levels}, like in_channels), got '
                             f'{values!r}')
        return [check(f'{name}[{i}]', v) for i, v in enumerate(values)]

    def forward(self, feats_S: Sequence[Tensor],
                feats_T: Sequence[Tensor]) -> Tensor:
        """Fuse the student levels and compute the loss.

        Args:
            feats_S (Sequence[Tensor]): Student features shallow -> deep,
                level l of shape (N, in_channels[l], H_l, W_l) or
                (N, in_channels[l]).
            feats_T (Sequence[Tensor]): Teacher features, level l of shape
                (N, out_channels[l], H'_l, W'_l) or (N, out_channels[l]);
                detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        pairs = [(s[..., None, None] if s.dim() == 2 else s,
                  t[..., None, None] if t.dim() == 2 else t)
                 for s, t in paired_tensor_lists(feats_S, feats_T,
                                                 type(self).__name__)]
        if len(pairs) != len(self.abfs):
            raise ValueError(f'ReviewKDLoss was built for {len(self.abfs)} '
                             f'levels, got {len(pairs)} feature pairs')
        fused: List[Optional[Tensor]] = [None] * len(pairs)
        residual = None
        for level in reversed(range(len(pairs))):
            feat_S, feat_T = pairs[level]
            if self.shapes is not None and tuple(
                    feat_S.shape[-2:]) != self.shapes[level]:
                raise ValueError(
                    f'student level {level} has size '
                    f'{tuple(feat_S.shape[-2:])}, shapes[{level}] says '
                    f'{self.shapes[level]}')
            out_size = (self.out_shapes[level] if self.out_shapes is not None
                        else tuple(feat_T.shape[-2:]))
            fused[level], residual = self.abfs[level](feat_S, residual,
                                                      out_size)
            if fused[level].shape != feat_T.shape:
                raise ValueError(
                    f'level {level}: fused student map '
                    f'{tuple(fused[level].shape)} does not match the teacher '
                    f'feature {tuple(feat_T.shape)}; check out_channels / '
                    'out_shapes')
        loss = sum(
            hierarchical_context_loss(out, feat_T, self.pyramid_levels)
            for out, (_, feat_T) in zip(fused, pairs))
        factor = warmup_factor(self.progress, self.warmup_iters,
                               self.warmup_epochs)
        return self.loss_weight * factor * loss

    def extra_repr(self) -> str:
        return (f'mid_channel={self.mid_channel}, warmup_epochs='
                f'{self.warmup_epochs}, warmup_iters={self.warmup_iters}, '
                f'{super().extra_repr()}')
