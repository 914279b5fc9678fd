# Copyright (c) medproto contributors. All rights reserved.
"""Pure-PyTorch stand-ins for the ``mmcv.ops`` names mmseg imports eagerly.

``mmcv-lite`` ships ``mmcv/ops/*.py`` but not the compiled ``mmcv._ext``, so
``import mmcv.ops`` fails and, with it, ``import mmseg.models``. When (and
only when) no compiled extension is importable, :func:`install` registers a
small module under ``sys.modules['mmcv.ops']`` that provides

* :func:`point_sample` -- bilinear sampling at normalised points
  (used by mmseg's point head, SAN head and mask utilities);
* :func:`sigmoid_focal_loss` -- the real sigmoid focal loss of
  Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017;

and raises :class:`ModuleNotFoundError` for every other name, which is the
exception mmseg's optional imports (``CrissCrossAttention``, ``PSAMask``...)
catch to fall back. A compiled mmcv, where installed, is left untouched.
"""
import importlib.util
import sys
import types
import warnings
from typing import Optional

import torch
import torch.nn.functional as F

__all__ = ['point_sample', 'sigmoid_focal_loss', 'install',
           'compiled_mmcv_available']

_STANDIN_FLAG = '__medproto_standin__'


def point_sample(input: torch.Tensor,
                 points: torch.Tensor,
                 align_corners: bool = False,
                 **kwargs) -> torch.Tensor:
    """Sample ``input`` at ``points`` given in [0, 1] x [0, 1] coordinates.

    Args:
        input (Tensor): Feature map of shape (N, C, H, W).
        points (Tensor): Points of shape (N, P, 2) or (N, Hp, Wp, 2) holding
            (x, y) in [0, 1].
        align_corners (bool): Passed to :func:`torch.nn.functional.grid_sample`.
        **kwargs: Other arguments of ``grid_sample`` (``mode``,
            ``padding_mode``).

    Returns:
        Tensor: (N, C, P) for 3-D ``points``, else (N, C, Hp, Wp).
    """
    squeeze = points.dim() == 3
    if squeeze:
        points = points.unsqueeze(2)
    grid = points * 2.0 - 1.0
    out = F.grid_sample(input, grid, align_corners=align_corners, **kwargs)
    return out.squeeze(3) if squeeze else out


def sigmoid_focal_loss(input: torch.Tensor,
                       target: torch.Tensor,
                       gamma: float = 2.0,
                       alpha: float = 0.25,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean') -> torch.Tensor:
    """Sigmoid focal loss with the calling convention of ``mmcv.ops``.

    For logits ``x`` of shape (N, C) and class indices ``t`` of shape (N,),
    with ``p = sigmoid(x[n, c])`` and ``y = [t[n] == c]``::

        loss[n, c] = -alpha * (1 - p)^gamma * y * log(p)
                     - (1 - alpha) * p^gamma * (1 - y) * log(1 - p)

    A target equal to ``C`` marks a sample that is negative for every class.

    Args:
        input (Tensor): Logits of shape (N, C).
        target (Tensor): Class indices of shape (N,), values in [0, C].
        gamma (float): Focusing parameter. Defaults to 2.0.
        alpha (float): Balance of the positive term. Defaults to 0.25.
        weight (Tensor, optional): Per-class weight of shape (C,), applied to
            every element of a sample by that sample's target class.
        reduction (str): ``'none'``, ``'mean'`` (sum divided by N) or
            ``'sum'``.

    Returns:
        Tensor: The loss, of shape (N, C) for ``reduction='none'``.
    """
    if input.dim() != 2:
        raise ValueError(f'sigmoid_focal_loss expects logits of shape (N, C), '
                         f'got {tuple(input.shape)}')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', "
                         f'got {reduction!r}')
    num_classes = input.size(1)
    target = target.long()
    y = F.one_hot(target, num_classes + 1)[:, :num_classes].to(input.dtype)
    p = input.sigmoid()
    log_p = F.logsigmoid(input)
    log_1mp = F.logsigmoid(-input)
    loss = -(alpha * (1 - p).pow(gamma) * y * log_p +
             (1 - alpha) * p.pow(gamma) * (1 - y) * log_1mp)
    if weight is not None:
        if weight.numel() != num_classes:
            raise ValueError(f'weight must have {num_classes} entries (one per '
                             f'class), got {weight.numel()}')
        padded = torch.cat([weight.to(loss), loss.new_ones(1)])
        loss = loss * padded[target].unsqueeze(1)
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    if reduction == 'sum':
        return loss.sum()
    return loss


def compiled_mmcv_available() -> bool:
    """Whether a compiled ``mmcv._ext`` can be imported."""
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


class _OpsStandIn(types.ModuleType):
    """Module type whose unknown attributes raise ModuleNotFoundError."""

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(
            f"mmcv.ops.{name} needs the compiled mmcv (mmcv-lite is "
            f"installed); medproto only provides pure-PyTorch stand-ins for "
            f"'point_sample' and 'sigmoid_focal_loss'.",
            name=f'mmcv.ops.{name}')


def install() -> bool:
    """Register the stand-in ``mmcv.ops`` if no compiled mmcv is present.

    Returns:
        bool: True if the stand-in is (now) active, False if a compiled mmcv
        or an already imported ``mmcv.ops`` is used instead.
    """
    existing = sys.modules.get('mmcv.ops')
    if existing is not None:
        return bool(getattr(existing, _STANDIN_FLAG, False))
    if importlib.util.find_spec('mmcv') is None or compiled_mmcv_available():
        return False
    module = _OpsStandIn('mmcv.ops', __doc__)
    module.point_sample = point_sample
    module.sigmoid_focal_loss = sigmoid_focal_loss
    module.__all__ = ['point_sample', 'sigmoid_focal_loss']
    setattr(module, _STANDIN_FLAG, True)
    sys.modules['mmcv.ops'] = module
    # mmcv.cnn warns on every import that the deformable attention op is
    # missing; the stand-in's own error says so when that op is used.
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    import mmcv
    mmcv.ops = module
    return True
