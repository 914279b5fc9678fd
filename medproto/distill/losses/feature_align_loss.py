# Copyright (c) medproto contributors. All rights reserved.
"""Multi-stage feature alignment (MicroAUNet's intended imitation term)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (TensorOrList, check_max_side, check_non_negative,
                    check_same_shape, paired_tensor_lists, pool_to_max_side)


@MODELS.register_module()
class FeatureAlignLoss(BaseDistillLoss):
    """Weighted mean over stages of the MSE between student/teacher features.

    ``L = (1 / S) * sum_l w_l * mean((n(F_S^l) - n(F_T^l))^2)`` over the S
    stages (e.g. the skip features t1..t5 of MALUNet and MAUNet), where ``n``
    is the identity or, with ``normalize=True``, the L2 normalisation of each
    pixel's channel vector (so only feature directions are matched).

    This is the feature branch that MicroAUNet's ``ImitationLoss`` intends
    (``sum_l lambda_l ||F_S^l - F_T^l||^2``); in the public code
    (JeremyXSC/MicroAUNet ``train.py``) the feature lists are passed into the
    wrong arguments, so that branch never runs.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        normalize (bool): L2-normalise features over channels per pixel
            before comparing. Defaults to False.
        stage_weights (Sequence[float], optional): ``w_l`` per stage (>= 0);
            all 1 when None. Defaults to None.
        max_side (int, optional): Compare the stages after average-pooling
            every map larger than ``max_side`` pixels per side to at most
            ``max_side`` (``F.adaptive_avg_pool2d``, see
            :func:`~medproto.distill.losses.utils.pool_to_max_side`), e.g.
            32: MAUNet's 128x128 and 64x64 skips are compared as 32x32
            means of 4x4 and 2x2 blocks. A cheaper method, not the same
            one: it matches block means instead of pixels. Give the
            students' connectors the same ``max_side``
            (:class:`~medproto.distill.connectors.Conv1x1Connector`) so
            that they compute only the pooled map. Opt-in; its effect on
            accuracy has not been checked on Kvasir-SEG. None (the
            default) compares the full maps.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 normalize: bool = False,
                 stage_weights: Optional[Sequence[float]] = None,
                 max_side: Optional[int] = None) -> None:
        super().__init__(loss_weight)
        if not isinstance(normalize, bool):
            raise ValueError(f'normalize must be a bool, got {normalize!r}')
        self.normalize = normalize
        if stage_weights is not None:
            if not isinstance(stage_weights, (list, tuple)) or not (
                    stage_weights):
                raise ValueError(
                    'stage_weights must be None or a non-empty list of '
                    f'numbers >= 0, got {stage_weights!r}')
            stage_weights = [
                check_non_negative(f'stage_weights[{i}]', w)
                for i, w in enumerate(stage_weights)
            ]
        self.stage_weights = stage_weights
        self.max_side = check_max_side(max_side)

    def forward(self, feats_S: TensorOrList, feats_T: TensorOrList) -> Tensor:
        """Compute the loss.

        Args:
            feats_S (Tensor | Sequence[Tensor]): Student feature(s), each
                (N, C_l, H_l, W_l).
            feats_T (Tensor | Sequence[Tensor]): Teacher feature(s) of the
                same shapes (after the pooling of ``max_side``); detached
                here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        pairs = paired_tensor_lists(feats_S, feats_T, type(self).__name__)
        weights = self.stage_weights or [1.0] * len(pairs)
        if len(weights) != len(pairs):
            raise ValueError(f'stage_weights has {len(weights)} entries but '
                             f'{len(pairs)} feature pairs were given')
        loss = 0.0
        for weight, (feat_S, feat_T) in zip(weights, pairs):
            if self.max_side is not None:
                feat_S = pool_to_max_side(feat_S, self.max_side)
                feat_T = pool_to_max_side(feat_T, self.max_side)
            check_same_shape(feat_S, feat_T, type(self).__name__)
            if self.normalize:  # F.mse_loss of F.normalize(., dim=1)
                term = normalized_mse(feat_S, feat_T)
            else:
                term = F.mse_loss(feat_S, feat_T)
            loss = loss + weight * term
        return self.loss_weight * loss / len(pairs)

    def extra_repr(self) -> str:
        return (f'normalize={self.normalize}, stage_weights='
                f'{self.stage_weights}, max_side={self.max_side}, '
                f'{super().extra_repr()}')


class _NormalizedMSE(torch.autograd.Function):
    """``mse_loss(normalize(s, dim), normalize(t, dim))`` in one pass over
    the channels (``dim``: 1, or -1 for the (N, H, W, C) view of a
    channels-last map) forward and one backward; ``t`` is a constant.

    Per pixel (the channel vectors ``s``, ``t``, ``d = max(|s|, eps)``,
    ``e = max(|t|, eps)``) the summed squared difference of the unit
    vectors is ``|s|^2 / d^2 + |t|^2 / e^2 - 2 s.t / (d e)``; its gradient
    is ``a s + b t`` with ``b = -2 / (d e)`` and ``a = 2 s.t / (d^3 e)``
    where ``|s| >= eps`` (``a = 2 / eps^2`` below, where ``F.normalize``
    divides by the constant ``eps``). Only three channel reductions and
    two per-pixel coefficient maps are built: no normalised copies, no
    (N, C, ...) difference, no ``linalg_vector_norm`` over a strided
    dimension (on CPU that kernel alone took ~45 % of the feature term).
    """

    @staticmethod
    def forward(ctx, s: Tensor, t: Tensor, eps: float, dim: int) -> Tensor:
        ss = (s * s).sum(dim=dim)
        tt = (t * t).sum(dim=dim)
        st = (s * t).sum(dim=dim)
        ns = ss.sqrt()
        d = ns.clamp_min(eps)
        e = tt.sqrt().clamp_min(eps)
        de = d * e
        per_pixel = ss / (d * d) + tt / (e * e) - 2.0 * st / de
        ctx.save_for_backward(s, t, ns, d, de, st)
        ctx.eps = eps
        ctx.dim = dim
        return per_pixel.sum() / s.numel()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor
                 ) -> Tuple[Optional[Tensor], None, None, None]:
        s, t, ns, d, de, st = ctx.saved_tensors
        scale = grad * (2.0 / s.numel())
        # where |s| >= eps the norm is differentiated (clamp_min passes the
        # gradient at equality), below it the divisor is the constant eps
        a = torch.where(ns >= ctx.eps, st / (d * d * de), 1.0 / (d * d))
        b = -1.0 / de
        out = torch.mul(s, (scale * a).unsqueeze(ctx.dim))
        out.addcmul_(t, (scale * b).unsqueeze(ctx.dim))
        return out, None, None, None


def normalized_mse(feat_S: Tensor, feat_T: Tensor,
                   eps: float = 1e-12) -> Tensor:
    """``F.mse_loss(F.normalize(feat_S, dim=1), F.normalize(feat_T, dim=1))``
    with the gradient for ``feat_S`` only.

    The same value and gradient within float rounding (the squared
    difference is summed as ``|u|^2 + |v|^2 - 2 u.v`` per pixel), at a
    fraction of the CPU time for few channels and many pixels (e.g. the
    (8, 16, 128, 128) skip of MAUNet's curriculum); see
    :class:`_NormalizedMSE`.

    Args:
        feat_S (Tensor): (N, C, ...), gets the gradient.
        feat_T (Tensor): Same shape; treated as a constant (its dtype is
            converted to ``feat_S``'s).
        eps (float): ``F.normalize``'s lower bound on the norm. Defaults
            to 1e-12.

    Returns:
        Tensor: The scalar mean squared difference.
    """
    if feat_S.dim() < 2 or feat_S.shape != feat_T.shape:
        raise ValueError('normalized_mse needs two (N, C, ...) tensors of '
                         f'one shape, got {tuple(feat_S.shape)} and '
                         f'{tuple(feat_T.shape)}')
    feat_T = feat_T.detach().to(feat_S.dtype)
    if feat_S.dim() == 4 and not feat_S.is_contiguous() and \
            feat_S.is_contiguous(memory_format=torch.channels_last):
        # a channels-last student map (e.g. MAUNet's skips through the conv
        # + BN modules): reduce over the last dim of its (N, H, W, C) view
        # and bring the teacher map to that layout (elementwise ops on two
        # layouts are several times slower); the gradient comes out in the
        # student's layout
        return _NormalizedMSE.apply(
            feat_S.permute(0, 2, 3, 1),
            feat_T.permute(0, 2, 3, 1).contiguous(), float(eps), -1)
    return _NormalizedMSE.apply(feat_S, feat_T.contiguous(), float(eps), 1)
