# Copyright (c) medproto contributors. All rights reserved.
"""FitNets hint loss (Romero et al., ICLR 2015)."""
import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_same_shape


@MODELS.register_module()
class FitNetLoss(BaseDistillLoss):
    """Mean squared error between a regressed student hint and the teacher.

    ``L = mean((r(F_S) - F_T)^2)`` (Romero et al., "FitNets: Hints for Thin
    Deep Nets", ICLR 2015), where the regressor ``r`` is a connector such as
    :class:`~medproto.distill.connectors.ConvRegConnector` that the config
    applies before the loss (``feat_S='c.<connector>'``). mdistiller trains
    it in one stage with weight 100.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 100.0.
    """

    def __init__(self, loss_weight: float = 100.0) -> None:
        super().__init__(loss_weight)

    def forward(self, feat_S: Tensor, feat_T: Tensor) -> Tensor:
        """Compute the hint loss.

        Args:
            feat_S (Tensor): Regressed student feature, (N, C, H, W).
            feat_T (Tensor): Teacher feature, same shape; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(feat_S, feat_T, type(self).__name__)
        return self.loss_weight * F.mse_loss(feat_S, feat_T.detach())
