# Copyright (c) medproto contributors. All rights reserved.
"""Base of the enhancement branches of ``MHFBlockV2`` (nothing registered)."""
from mmengine.model import BaseModule
from torch import Tensor, nn


class ZeroInitEnhancement(BaseModule):
    """``E(x) = S(x1 * SA(x1))`` with ``x1 = x * CA(x)``.

    Channel attention ``CA``, then spatial attention ``SA``, then a residual
    scale ``S`` that is zero at initialisation, so ``E(x) == 0`` at init and
    an ``MHFBlockV2`` starts as its ``MHFBlock`` (methods notes 3.2). A
    subclass builds the modules ``channel_att`` and ``spatial_att`` and
    returns ``S`` from :attr:`residual_scale` (the module keeps the name its
    checkpoints use).

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, H, W), the residual to add to the input.
    """

    @property
    def residual_scale(self) -> nn.Module:
        """The zero-initialised scale ``S``."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Compute the enhancement residual.

        Args:
            x (Tensor): Fused map, shape (B, C, H, W).

        Returns:
            Tensor: ``E(x)``, shape (B, C, H, W) (zero at init).
        """
        x = x * self.channel_att(x)
        return self.residual_scale(x * self.spatial_att(x))
