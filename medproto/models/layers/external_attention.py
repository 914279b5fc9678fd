# Copyright (c) medproto contributors. All rights reserved.
"""Inverted external attention (IEA) of MALUNet.

Ruan et al., BIBM 2022, section II-C, after the external attention of Guo
et al., "Beyond Self-attention: External Attention using Two Linear Layers
for Visual Tasks", TPAMI 2022.
"""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from .arg_checks import check_positive_int

__all__ = ['InvertedExternalAttention']


class InvertedExternalAttention(nn.Module):
    """MALUNet's inverted external attention block (``EAblock``).

    With ``N = H * W`` and ``k = memory_ratio * C``::

        a   = PW(x)                              # (B, C, N)
        A   = softmax_N(M_k a)                   # (B, k, N), M_k: (k, C)
        A   = A / (1e-9 + sum_k A)               # double normalisation
        out = GELU(norm(PW'(M_v A)) + x)         # M_v: (C, k), PW' no bias

    **Deliberate difference from the public code.** There ``M_v``'s weight
    is assigned a transposed *view* of ``M_k``'s, so the two share storage
    until the model is moved to a device or dtype (``model.cuda()`` in the
    public ``train.py`` re-allocates each parameter and breaks the tie).
    Here the memories are two independent parameters, initialised tied
    (``M_k = M_v^T``, drawn with the public code's effective std
    ``sqrt(2 / C)``) by :meth:`init_memory`: the state of the public model
    right after ``.cuda()``. The parameter count is the public one.

    Args:
        channels (int): Channels ``C``, divisible by the norm's groups.
        memory_ratio (int): Memory units per channel, ``k / C``.
            Defaults to 4.
        norm_cfg (dict, optional): Norm before the residual. Defaults to
            ``dict(type='GN', num_groups=4)``.

    Shape:
        - Input: (B, C, H, W).
        - Output: (B, C, H, W).
    """

    def __init__(self,
                 channels: int,
                 memory_ratio: int = 4,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=4)
                 ) -> None:
        super().__init__()
        check_positive_int('channels', channels)
        check_positive_int('memory_ratio', memory_ratio)
        self.channels = channels
        self.num_memory = channels * memory_ratio
        self.proj_in = nn.Conv2d(channels, channels, 1)
        self.memory_key = nn.Conv1d(channels, self.num_memory, 1, bias=False)
        self.memory_value = nn.Conv1d(
            self.num_memory, channels, 1, bias=False)
        self.proj_out = nn.Conv2d(channels, channels, 1, bias=False)
        self.norm = nn.Identity() if norm_cfg is None else build_norm_layer(
            norm_cfg, channels)[1]
        self.init_memory()

    @torch.no_grad()
    def init_memory(self) -> None:
        """Draw ``M_v ~ N(0, 2 / C)`` and set ``M_k = M_v^T`` (a copy).

        In the public code both Conv1d inits write the same storage and the
        second one (``M_v``, ``fan_out = C``) wins.
        """
        self.memory_value.weight.normal_(0., math.sqrt(2. / self.channels))
        self.memory_key.weight.copy_(
            self.memory_value.weight.permute(1, 0, 2))

    def forward(self, x: Tensor) -> Tensor:
        """Apply the attention.

        Args:
            x (Tensor): Shape (B, C, H, W).

        Returns:
            Tensor: Shape (B, C, H, W).
        """
        b, c, h, w = x.shape
        attn = self.memory_key(self.proj_in(x).reshape(b, c, h * w))
        attn = F.softmax(attn, dim=-1)
        attn = attn / (1e-9 + attn.sum(dim=1, keepdim=True))
        out = self.memory_value(attn).reshape(b, c, h, w)
        return F.gelu(self.norm(self.proj_out(out)) + x)
