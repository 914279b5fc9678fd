# Copyright (c) medproto contributors. All rights reserved.
"""BCE + Dice on logits, as MALUNet's ``BceDiceLoss`` intends."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class BceDiceLoss(nn.Module):
    """``L = w_b * BCE(sigmoid(z), y) + w_d * (1 - mean_b Dice_b)``.

    MALUNet (Ruan et al., BIBM 2022) applies ``nn.BCELoss`` and a soft Dice
    to the *sigmoid output*. Here both terms take logits: the BCE term is
    ``binary_cross_entropy_with_logits`` (log-sum-exp form, finite for any
    logit), the Dice term uses ``p = sigmoid(z)``. Per sample::

        Dice_b = (2 * sum(p * y) + s) / (sum(p) + sum(y) + s),  s = 1

    The BCE is averaged over the valid pixels of the batch, the Dice over
    the samples; pixels equal to ``ignore_index`` (padding) count in
    neither.

    Args:
        bce_weight (float): ``w_b``. Defaults to 1.0.
        dice_weight (float): ``w_d``. Defaults to 1.0.
        smooth (float): ``s``. Defaults to 1.0.
        loss_weight (float): Factor on the sum. Defaults to 1.0.
        loss_name (str): Name in the loss dict; must start with ``loss_``.
            Defaults to ``'loss_bce_dice'``.
    """

    def __init__(self,
                 bce_weight: float = 1.0,
                 dice_weight: float = 1.0,
                 smooth: float = 1.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bce_dice') -> None:
        super().__init__()
        for name, value in (('bce_weight', bce_weight),
                            ('dice_weight', dice_weight),
                            ('smooth', smooth), ('loss_weight', loss_weight)):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f'{name} must be a number >= 0, got '
                                 f'{value!r}')
        if not loss_name.startswith('loss_'):
            raise ValueError(f"loss_name must start with 'loss_' so that "
                             f'mmengine counts it, got {loss_name!r}')
        self.bce_weight = float(bce_weight)
        self.dice_weight = float(dice_weight)
        self.smooth = float(smooth)
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits, shape (N, 1, H, W) or (N, H, W).
            target (Tensor): Labels in {0, 1} (and ``ignore_index``), shape
                (N, H, W) or (N, 1, H, W).
            weight (Tensor, optional): Per-pixel weight, shape (N, H, W).
            ignore_index (int): Label of pixels that do not count.
                Defaults to 255.

        Returns:
            Tensor: Scalar loss.
        """
        if pred.dim() == 4:
            if pred.size(1) != 1:
                raise ValueError(f'BceDiceLoss expects one logit channel, got '
                                 f'{pred.size(1)} (use out_channels=1)')
            pred = pred[:, 0]
        if target.dim() == 4:
            target = target[:, 0]
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} must have the same shape')
        valid = (target != ignore_index).to(pred.dtype)
        if weight is not None:
            valid = valid * weight.to(pred.dtype)
        y = target.clamp(0, 1).to(pred.dtype) * (target != ignore_index)
        bce = F.binary_cross_entropy_with_logits(pred, y, reduction='none')
        bce = (bce * valid).sum() / valid.sum().clamp_min(1.0)
        p = torch.sigmoid(pred) * valid
        y = y * valid
        inter = (p * y).flatten(1).sum(1)
        denom = p.flatten(1).sum(1) + y.flatten(1).sum(1)
        dice = (2 * inter + self.smooth) / (denom + self.smooth)
        loss = self.bce_weight * bce + self.dice_weight * (1 - dice.mean())
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Name of the loss in the loss dict."""
        return self._loss_name
