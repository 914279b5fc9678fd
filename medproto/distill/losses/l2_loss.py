# Copyright (c) medproto contributors. All rights reserved.
"""Mean squared error between student and teacher outputs."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_choice, check_same_shape

_ACTIVATIONS = (None, 'sigmoid', 'softmax')


@MODELS.register_module()
class L2Loss(BaseDistillLoss):
    """``L = mean((a(x_S) - a(x_T))^2)`` on probabilities or feature maps.

    The mean over all elements keeps the scale independent of the map size.
    This is the term MicroAUNet's imitation loss falls back to (MSE between
    student and teacher probabilities) because its call passes the feature
    lists into the wrong arguments (JeremyXSC/MicroAUNet, ``train.py``); here
    it is an explicit, separately weighted term.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        activation (str, optional): Applied to both inputs first:
            ``None`` (compare as given), ``'sigmoid'`` (single-channel
            logits -> foreground probability) or ``'softmax'`` (over dim 1).
            Defaults to None.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 activation: Optional[str] = None) -> None:
        super().__init__(loss_weight)
        self.activation = check_choice('activation', activation, _ACTIVATIONS)

    def _activate(self, x: Tensor) -> Tensor:
        if self.activation == 'sigmoid':
            return torch.sigmoid(x)
        if self.activation == 'softmax':
            return F.softmax(x, dim=1)
        return x

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student output, (N, C, ...).
            preds_T (Tensor): Teacher output, same shape; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(preds_S, preds_T, type(self).__name__)
        return self.loss_weight * F.mse_loss(
            self._activate(preds_S), self._activate(preds_T.detach()))

    def extra_repr(self) -> str:
        return f'activation={self.activation!r}, {super().extra_repr()}'
