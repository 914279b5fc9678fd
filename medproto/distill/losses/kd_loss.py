# Copyright (c) medproto contributors. All rights reserved.
"""Vanilla logit distillation (Hinton et al., 2015)."""
from typing import Mapping, Optional, Sequence, Union

import torch
from torch import Tensor

from medproto.models.losses.class_balanced_loss import class_balanced_weights
from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_choice, check_positive, kl_div_with_temperature

ClassWeights = Union[Sequence[float], Mapping[str, object]]


@MODELS.register_module()
class KDLoss(BaseDistillLoss):
    """Knowledge distillation on softened logits.

    ``L = tau^2 * KL(softmax(z_T / tau) || softmax(z_S / tau))``
    (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network",
    2015). The ``tau^2`` factor keeps the gradient scale independent of the
    temperature, as in mdistiller (defaults ``tau=4``, weight 0.9 with the
    student's CE weighted 0.1).

    Dense logits ``(N, C, H, W)`` are distilled per pixel (KL over C at each
    pixel). For single-channel sigmoid outputs use
    :class:`~medproto.distill.losses.BinaryKDLoss`: a softmax over one
    channel is identically 1 and the KL would be 0.

    With ``class_weights`` each sample (or pixel) term is multiplied by the
    weight of its ground-truth class, e.g. the class-balanced weights of
    Cui et al. 2019 (:func:`~medproto.models.losses.class_balanced_weights`).

    Args:
        tau (float): Temperature (> 0). Defaults to 4.0.
        loss_weight (float): Factor applied to the loss. Defaults to 0.9.
        reduction (str): ``'batchmean'`` (sum over classes, mean over
            samples / pixels), ``'mean'`` (``'batchmean'`` divided by C) or
            ``'sum'`` (sum over everything). Defaults to ``'batchmean'``.
        class_weights (Sequence[float] | dict, optional): Per-class weights
            (length C), or ``dict(class_counts=[...], beta=0.9999)`` to
            compute class-balanced weights. Then ``forward`` needs
            ``gt_label``. Defaults to None.
    """

    def __init__(self,
                 tau: float = 4.0,
                 loss_weight: float = 0.9,
                 reduction: str = 'batchmean',
                 class_weights: Optional[ClassWeights] = None) -> None:
        super().__init__(loss_weight)
        self.tau = check_positive('tau', tau)
        self.reduction = check_choice('reduction', reduction,
                                      ('batchmean', 'mean', 'sum'))
        if class_weights is None:
            weights = None
        elif isinstance(class_weights, Mapping):
            if set(class_weights) != {'class_counts', 'beta'}:
                raise ValueError(
                    'class_weights as a dict must have exactly the keys '
                    f"'class_counts' and 'beta', got {sorted(class_weights)}")
            weights = class_balanced_weights(**class_weights)
        else:
            weights = torch.as_tensor(class_weights, dtype=torch.float32)
            if weights.dim() != 1 or weights.numel() == 0 or (weights <
                                                              0).any():
                raise ValueError('class_weights must be a non-empty list of '
                                 f'numbers >= 0, got {class_weights!r}')
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer('class_weights', weights, persistent=False)

    def _sample_weights(self, gt_label: Optional[Tensor],
                        kl: Tensor) -> Tensor:
        """GT-class weight for every entry of ``kl`` (shape (N, ...))."""
        if gt_label is None:
            raise ValueError('KDLoss with class_weights needs gt_label: bind '
                             "it in the loss inputs (gt_label='gt_label')")
        num_classes = self.class_weights.numel()
        if gt_label.dim() == kl.dim() + 1 and gt_label.size(1) == 1:
            gt_label = gt_label.squeeze(1)  # (N, 1, H, W) mask
        if gt_label.shape not in (kl.shape[:1], kl.shape):
            raise ValueError(f'gt_label must have shape {tuple(kl.shape[:1])}'
                             f' or {tuple(kl.shape)}, got '
                             f'{tuple(gt_label.shape)}')
        gt_label = gt_label.long()
        if gt_label.min() < 0 or gt_label.max() >= num_classes:
            raise ValueError(f'gt_label values must be in [0, {num_classes})'
                             ' to index class_weights')
        weights = self.class_weights.to(kl)[gt_label]
        return weights.reshape(weights.shape +
                               (1, ) * (kl.dim() - weights.dim()))

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                gt_label: Optional[Tensor] = None) -> Tensor:
        """Compute the KD loss.

        Args:
            preds_S (Tensor): Student logits, (N, C) or (N, C, H, W).
            preds_T (Tensor): Teacher logits, same shape; detached here.
            gt_label (Tensor, optional): Class indices (N,) (or a label map
                (N, H, W) / (N, 1, H, W) for dense logits); needed only with
                ``class_weights``.

        Returns:
            Tensor: The weighted scalar loss.
        """
        if preds_S.shape != preds_T.shape or preds_S.dim() < 2:
            raise ValueError('KDLoss needs student and teacher logits of the '
                             'same shape (N, C, ...), got '
                             f'{tuple(preds_S.shape)} and '
                             f'{tuple(preds_T.shape)}')
        if preds_S.size(1) < 2:
            raise ValueError('KDLoss needs C >= 2 classes (a softmax over one '
                             'channel is constant); use medproto.BinaryKDLoss '
                             'for single-channel sigmoid logits')
        if (self.class_weights is not None
                and self.class_weights.numel() != preds_S.size(1)):
            raise ValueError(f'class_weights has {self.class_weights.numel()}'
                             f' entries but the logits have {preds_S.size(1)}'
                             ' classes')
        kl = kl_div_with_temperature(preds_S, preds_T.detach(), self.tau)
        if self.class_weights is not None:
            kl = kl * self._sample_weights(gt_label, kl)
        if self.reduction == 'sum':
            loss = kl.sum()
        else:
            loss = kl.mean()
            if self.reduction == 'mean':
                loss = loss / preds_S.size(1)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, reduction={self.reduction!r}, '
                f'{super().extra_repr()}')
