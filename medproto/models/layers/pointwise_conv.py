# Copyright (c) medproto contributors. All rights reserved.
"""A 1x1 convolution with a fast path for channels-last maps on CPU.

On CPU, PyTorch runs a dense 1x1 convolution on a channels-last tensor
through its generic path, which first broadcasts the bias into the output
with a slow strided copy (3x the cost of the product itself for 8 output
channels). Here a bias-free 1x1 conv on a channels-last map ``(B, C, H, W)``
is one GEMM, ``(B*H*W, C_in) @ (C_in, C_out)``
(:func:`torch.nn.functional.linear`), and a conv with bias goes straight to
oneDNN, which adds the bias inside the kernel. Other inputs take the usual
``nn.Conv2d`` path.
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['PointwiseConv2d']


class PointwiseConv2d(nn.Conv2d):
    """Dense 1x1 convolution with a CPU fast path for channels-last inputs.

    Same parameters, state-dict keys and results as
    ``nn.Conv2d(in_channels, out_channels, 1, bias=bias)``.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        kernel_size (int): Must be 1 (present so that the class accepts
            ``nn.Conv2d``'s signature). Defaults to 1.
        bias (bool): Learn a bias. Defaults to True.
        **kwargs: Other ``nn.Conv2d`` arguments; stride, padding and
            dilation must stay 1/0/1 and groups 1.

    Shape:
        - Input: (B, C_in, H, W), any memory format.
        - Output: (B, C_out, H, W), channels-last if the input is.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 bias: bool = True,
                 **kwargs) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, bias=bias, **kwargs)
        if self.kernel_size != (1, 1) or self.groups != 1 or \
                self.stride != (1, 1) or self.padding != (0, 0) or \
                self.dilation != (1, 1):
            raise ValueError(
                'PointwiseConv2d must be a dense 1x1 conv with stride 1 and '
                f'no padding, got kernel_size={self.kernel_size}, '
                f'groups={self.groups}, stride={self.stride}, '
                f'padding={self.padding}, dilation={self.dilation}')

    def forward(self, x: Tensor) -> Tensor:
        """Apply the convolution.

        Args:
            x (Tensor): Shape (B, C_in, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W).
        """
        if x.dim() != 4 or x.is_contiguous() or not x.is_contiguous(
                memory_format=torch.channels_last):
            return super().forward(x)
        if self.bias is None:
            weight = self.weight.view(self.out_channels, self.in_channels)
            return F.linear(x.permute(0, 2, 3, 1), weight).permute(0, 3, 1, 2)
        if x.device.type == 'cpu' and x.dtype == torch.float32 and \
                torch.backends.mkldnn.is_available():
            # oneDNN adds the bias inside the kernel; the GEMM route would
            # broadcast it into the output with a slow strided copy first.
            return torch.mkldnn_convolution(x, self.weight, self.bias, [0, 0],
                                            [1, 1], [1, 1], 1)
        return super().forward(x)
