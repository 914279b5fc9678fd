# Copyright (c) medproto contributors. All rights reserved.
"""Learnable, zero-initialised output scales.

Both gates multiply a residual branch by a factor that is exactly zero at
initialisation, so ``x + gate(branch(x)) == x`` until training moves it
(ReZero, Bachlechner et al. 2020). This is what makes ``MHFBlockV2`` equal to
``MHFBlock`` at init (methods notes section 3.2).
"""
import torch
from torch import Tensor, nn

from .arg_checks import check_positive_int


class ZeroInitScale(nn.Module):
    """Multiply by one learnable scalar ``s`` (init 0).

    Args:
        init_value (float): Initial value of ``s``. Defaults to 0.

    Shape:
        - Input: any shape.
        - Output: same shape as the input.
    """

    def __init__(self, init_value: float = 0.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((1, ), float(init_value)))

    def forward(self, x: Tensor) -> Tensor:
        """Scale ``x``.

        Args:
            x (Tensor): Any tensor.

        Returns:
            Tensor: ``s * x``.
        """
        return self.scale * x


class DynamicScalingGate(nn.Module):
    """Global + per-channel gate ``lambda_g * (1 + sigma(lambda_c))``.

    ``lambda_g`` is one scalar initialised to 0 (so the gated branch starts
    switched off); ``lambda_c`` has one entry per channel, initialised to 0,
    so once ``lambda_g`` moves every channel is scaled by a factor in
    ``lambda_g * (1, 2)`` (AMAFDSG's dynamic scaling gate).

    Args:
        channels (int): Channels C.
        init_value (float): Initial ``lambda_g``. Defaults to 0.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, H, W).
    """

    def __init__(self, channels: int, init_value: float = 0.) -> None:
        super().__init__()
        check_positive_int('channels', channels)
        self.global_scale = nn.Parameter(torch.full((1, ), float(init_value)))
        self.channel_logits = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Gate ``x``.

        Args:
            x (Tensor): Features, shape (B, C, H, W).

        Returns:
            Tensor: Gated features, shape (B, C, H, W).
        """
        return x * self.global_scale * (1 + torch.sigmoid(self.channel_logits))
