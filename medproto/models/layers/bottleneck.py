# Copyright (c) medproto contributors. All rights reserved.
"""Pre-activation bottleneck used as the fusion body of ``MHFBlock``."""
from torch import Tensor, nn


class PreActBottleneck(nn.Module):
    """Pre-activation residual bottleneck (TransFuse's ``Residual``).

    ``y = conv1x1(ReLU(BN(conv3x3(ReLU(BN(conv1x1(ReLU(BN(x)))))))))
    + skip(x)``, with the inner width ``out_channels // 2`` and ``skip`` a
    1x1 conv when the channel count changes, else identity (Zhang et al.,
    "TransFuse", MICCAI 2021; He et al., "Identity Mappings in Deep Residual
    Networks", ECCV 2016).

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out (>= 2).

    Shape:
        - Input: (B, C_in, H, W).
        - Output: (B, C_out, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        for name, value, low in (('in_channels', in_channels, 1),
                                 ('out_channels', out_channels, 2)):
            if not isinstance(value, int) or value < low:
                raise ValueError(
                    f'{name} must be an int >= {low}, got {value!r}')
        mid = out_channels // 2
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, mid, 1),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1),
            nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1))
        self.skip = (
            nn.Identity() if in_channels == out_channels else nn.Conv2d(
                in_channels, out_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Apply the bottleneck.

        Args:
            x (Tensor): Features, shape (B, C_in, H, W).

        Returns:
            Tensor: Features, shape (B, C_out, H, W).
        """
        return self.body(x) + self.skip(x)
