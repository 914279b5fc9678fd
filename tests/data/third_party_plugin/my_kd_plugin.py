# Copyright (c) medproto contributors. All rights reserved.
"""An external plugin that extends medproto without touching its code.

It lives outside the ``medproto`` package; a config loads it with
``custom_imports=dict(imports=['my_kd_plugin'])`` once its folder is on
``PYTHONPATH``. See ``docs/tutorials/custom_distiller.md``.
"""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from medproto.distill.distillers import SingleTeacherDistiller
from medproto.registry import MODELS


@MODELS.register_module()
class CosineLogitLoss(nn.Module):
    """``loss_weight * mean(1 - cos(z_S, z_T))`` over the samples.

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight}')
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (N, C).
            preds_T (Tensor): Teacher logits (N, C); detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        cosine = F.cosine_similarity(preds_S, preds_T.detach(), dim=1)
        return self.loss_weight * (1 - cosine).mean()


@MODELS.register_module()
class LoggingDistiller(SingleTeacherDistiller):
    """A distiller that also logs the student/teacher top-1 agreement."""

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        losses = super().loss(inputs, data_samples)
        with torch.no_grad():
            student = self.student(inputs, mode='tensor')
            teacher = self.teacher(inputs, mode='tensor')
            agreement = (student.argmax(1) == teacher.argmax(1)).float()
        losses['agreement'] = agreement.mean()  # logged, not summed
        return losses
