# Copyright (c) medproto contributors. All rights reserved.
"""Base class of every medproto distillation loss (not registered)."""
from typing import Dict

from torch import nn

from .utils import check_non_negative, default_progress


class BaseDistillLoss(nn.Module):
    """Holds what the distillation-loss contract asks of every loss.

    See ``docs/architecture.md``: the constructor takes ``loss_weight``,
    ``forward`` returns a scalar already multiplied by it, and the distiller
    writes the training progress into :attr:`progress` before every call.

    Args:
        loss_weight (float): Factor applied to the loss (>= 0).

    Attributes:
        progress (dict[str, int]): ``{'iter', 'epoch', 'max_iters',
            'max_epochs'}``, counted as mmengine's runner does (finished
            iterations / epochs). Defaults to all zeros until the distiller
            sets it.
    """

    def __init__(self, loss_weight: float) -> None:
        super().__init__()
        self.loss_weight = check_non_negative('loss_weight', loss_weight)
        self.progress: Dict[str, int] = default_progress()

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
