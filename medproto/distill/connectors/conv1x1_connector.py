# Copyright (c) medproto contributors. All rights reserved.
"""1x1 convolution connector (channel projection)."""
from torch import Tensor, nn

from medproto.distill.losses.utils import check_positive_int
from medproto.registry import MODELS
from .utils import check_bool, conv_norm_act


@MODELS.register_module()
class Conv1x1Connector(nn.Module):
    """Project a student feature to the teacher's channels with a 1x1 conv.

    ``y = ReLU?(BN?(Conv1x1(x)))``: (N, in_channels, H, W) ->
    (N, out_channels, H, W). The spatial size is kept; combine with
    :class:`ResizeConnector` or use :class:`ConvRegConnector` when it
    differs.

    Args:
        in_channels (int): Student channels.
        out_channels (int): Teacher channels.
        norm (bool): Add BatchNorm2d after the conv (the conv then has no
            bias). Defaults to True.
        relu (bool): Add a ReLU at the end. Defaults to False.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm: bool = True,
                 relu: bool = False) -> None:
        super().__init__()
        check_positive_int('in_channels', in_channels)
        check_positive_int('out_channels', out_channels)
        norm = check_bool('norm', norm)
        relu = check_bool('relu', relu)
        self.layers = conv_norm_act(
            nn.Conv2d(in_channels, out_channels, 1, bias=not norm),
            out_channels, norm, relu)

    def forward(self, x: Tensor) -> Tensor:
        """Map (N, in_channels, H, W) to (N, out_channels, H, W)."""
        return self.layers(x)
