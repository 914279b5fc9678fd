# Copyright (c) medproto contributors. All rights reserved.
"""A 1x1 convolution with a fast path for channels-last maps on CPU.

On CPU, PyTorch runs a dense 1x1 convolution with bias on a channels-last
tensor through its generic path, which first broadcasts the bias into the
output with a strided copy. With few output channels on a large map that
copy costs about twice the product itself (3 -> 8 channels at 256x256:
0.75 ms against 0.25 ms through oneDNN, batch 1, one thread). There,
:class:`PointwiseConv2d` calls oneDNN directly, which adds the bias inside
the kernel. Elsewhere (other sizes, no bias, tracing or export, other
devices) it is an ordinary ``nn.Conv2d``.
"""
import torch
from torch import Tensor, nn

__all__ = ['PointwiseConv2d']


class PointwiseConv2d(nn.Conv2d):
    """Dense 1x1 convolution with a CPU fast path for channels-last inputs.

    The fast path is taken for a conv with bias, at most
    ``MAX_FAST_CHANNELS`` outputs and at least ``MIN_FAST_PIXELS`` pixels
    per map (below that oneDNN's ~40 us call overhead wins).

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

    MAX_FAST_CHANNELS = 8
    MIN_FAST_PIXELS = 128 * 128

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
        if self._use_onednn(x):
            return torch.mkldnn_convolution(x, self.weight, self.bias, [0, 0],
                                            [1, 1], [1, 1], 1)
        return super().forward(x)

    def _use_onednn(self, x: Tensor) -> bool:
        """Whether the direct oneDNN call is both possible and faster."""
        if torch.jit.is_tracing() or torch.jit.is_scripting() or \
                torch.onnx.is_in_onnx_export():
            return False
        if self.bias is None or self.out_channels > self.MAX_FAST_CHANNELS:
            return False
        if x.device.type != 'cpu' or x.dtype != torch.float32 or \
                not torch.backends.mkldnn.is_available():
            return False
        if x.dim() != 4 or x.shape[2] * x.shape[3] < self.MIN_FAST_PIXELS:
            return False
        return not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last)
