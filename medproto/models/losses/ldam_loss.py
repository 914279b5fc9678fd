# Copyright (c) medproto contributors. All rights reserved.
"""LDAM loss with deferred re-weighting (Cao et al., NeurIPS 2019)."""
from typing import Optional, Sequence

import torch
from mmengine.logging import MessageHub, print_log
from mmpretrain.registry import MODELS
from torch import Tensor

from .class_balanced_loss import class_balanced_weights
from .class_priors import (ClassCountLoss, check_class_counts, check_number,
                           check_reduction)

_OWNER = 'LDAMLoss'


@MODELS.register_module()
class LDAMLoss(ClassCountLoss):
    """Label-distribution-aware margin loss, optionally with DRW.

    Class ``j`` gets the margin ``m_j = C / n_j^{1/4}``, with ``C`` chosen so
    that the largest margin (the rarest class) is ``max_margin``; the true
    class's logit is lowered by its margin and the logits are scaled by
    ``s``::

        L_i = -w_{y_i} log softmax(s * (z_i - m_{y_i} e_{y_i}))_{y_i}

    (Cao et al., "Learning Imbalanced Datasets with Label-Distribution-Aware
    Margin Loss", NeurIPS 2019, Eq. 13; the official code applies it to
    cosine logits, see :class:`~medproto.models.heads.NormedLinearClsHead`,
    with ``max_margin=0.5, scale=30``).

    Deferred re-weighting (DRW, Alg. 1): ``w = 1`` until the training
    progress reaches ``drw_start``, then ``w`` are the class-balanced
    weights of the effective number with ``drw_beta`` (Cui et al. 2019;
    :func:`class_balanced_weights`, summing to C). The progress is the
    ``'epoch'`` (``drw_by_epoch=True``, the number of finished epochs) or
    ``'iter'`` info that mmengine's ``RuntimeInfoHook`` writes to the
    current ``MessageHub`` before every epoch / iteration; outside a runner
    (no such info) the progress counts as 0. As in the official code (torch's
    weighted ``cross_entropy``), the ``'mean'`` of weighted losses divides
    by the sum of the weights, not by N; ``avg_factor`` (mmpretrain passes
    the batch size) is used only while no weights are active.

    Usable as an mmpretrain head loss::

        loss=dict(type='LDAMLoss', class_counts=[850, 440, 228],
                  max_margin=0.5, scale=30.0, drw_start=4)

    Args:
        class_counts (Sequence[int]): Training samples per class (C values).
        max_margin (float): Margin of the rarest class, > 0. Defaults to 0.5.
        scale (float): Logit scale ``s``, > 0. Defaults to 30.0.
        drw_start (int, optional): Epoch (or iteration) from which the
            class-balanced weights are used; None for LDAM without DRW.
            Defaults to None.
        drw_by_epoch (bool): Count ``drw_start`` in epochs (True) or
            iterations. Defaults to True.
        drw_beta (float): Effective-number beta of the DRW weights, in
            ``[0, 1)``. Defaults to 0.9999 (the paper).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    def __init__(self,
                 class_counts: Sequence[int],
                 max_margin: float = 0.5,
                 scale: float = 30.0,
                 drw_start: Optional[int] = None,
                 drw_by_epoch: bool = True,
                 drw_beta: float = 0.9999,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        counts = check_class_counts(class_counts, _OWNER)
        if check_number(max_margin, 'max_margin', _OWNER) == 0:
            raise ValueError(f'{_OWNER}: max_margin must be > 0, got 0')
        if check_number(scale, 'scale', _OWNER) == 0:
            raise ValueError(f'{_OWNER}: scale must be > 0, got 0')
        if drw_start is not None and (isinstance(drw_start, bool) or
                                      not isinstance(drw_start, int)
                                      or drw_start < 0):
            raise ValueError(f'{_OWNER}: drw_start must be None or an int >= '
                             f'0, got {drw_start!r}')
        check_reduction(reduction, _OWNER)
        self.max_margin = float(max_margin)
        self.scale = float(scale)
        self.drw_start = drw_start
        self.drw_by_epoch = bool(drw_by_epoch)
        self.drw_beta = drw_beta
        self.reduction = reduction
        self.loss_weight = check_number(loss_weight, 'loss_weight', _OWNER)
        n = torch.as_tensor(counts, dtype=torch.float64)
        margins = n.pow(-0.25)
        margins = margins * (self.max_margin / margins.max())
        self.register_buffer('margins', margins.float(), persistent=False)
        try:
            weights = class_balanced_weights(counts, drw_beta)
        except ValueError as err:
            raise ValueError(f'{_OWNER}: drw_{err}') from None
        self.register_buffer('drw_weights', weights, persistent=False)
        self._announced = False

    @property
    def num_classes(self) -> int:
        """int: Number of classes C."""
        return self.margins.numel()

    def drw_active(self) -> bool:
        """Whether the training progress has reached ``drw_start``."""
        if self.drw_start is None:
            return False
        key = 'epoch' if self.drw_by_epoch else 'iter'
        progress = MessageHub.get_current_instance().get_info(key, 0)
        active = progress >= self.drw_start
        if active and not self._announced:
            self._announced = True
            print_log(f'{_OWNER}: deferred re-weighting on from {key} '
                      f'{progress}', logger='current')
        return active

    def _loss(self, cls_score: Tensor, target: Tensor,
              weight: Optional[Tensor], reduction: str,
              avg_factor: Optional[float]) -> Tensor:
        """The margin loss of :meth:`ClassCountLoss._loss`'s inputs.

        ``cls_score`` are logits (cosine logits in the paper); soft labels
        lower each logit ``c`` by ``t_ic m_c``. With DRW or ``weight``, the
        ``'mean'`` divides by the sum of the weights; ``avg_factor``
        divides the un-weighted ``'mean'`` only.
        """
        logits = self.scale * (cls_score - target * self.margins.to(cls_score))
        loss = -(target * logits.log_softmax(dim=1)).sum(dim=1)
        sample_weight = None
        if self.drw_active():
            sample_weight = target @ self.drw_weights.to(cls_score)
        if weight is not None:
            sample_weight = weight if sample_weight is None else \
                sample_weight * weight
        if sample_weight is not None:
            loss = loss * sample_weight
        if reduction == 'sum':
            loss = loss.sum()
        elif reduction == 'mean':
            if sample_weight is not None:
                loss = loss.sum() / sample_weight.sum().clamp_min(1e-12)
            else:
                loss = loss.sum() / (avg_factor or loss.numel())
        return loss

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, max_margin='
                f'{self.max_margin}, scale={self.scale}, drw_start='
                f'{self.drw_start}, drw_by_epoch={self.drw_by_epoch}, '
                f'drw_beta={self.drw_beta}, reduction={self.reduction!r}, '
                f'loss_weight={self.loss_weight}')
