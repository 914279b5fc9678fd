# Copyright (c) medproto contributors. All rights reserved.
"""CIFAR Wide ResNets of the distillation benchmarks (wrn16_2, wrn40_2) as
an mmpretrain backbone."""
from functools import partial
from typing import Dict, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .cifar_utils import add_stages, check_out_indices, default_init_cfg


class WideBasicBlock(nn.Module):
    """Pre-activation block: ``BN-ReLU-conv3x3-BN-ReLU-(dropout)-conv3x3``.

    When the shape changes, the shortcut is a 1x1 convolution of the
    *activated* input; otherwise it is the raw input (Zagoruyko &
    Komodakis, 2016).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution. Defaults to 1.
        drop_rate (float): Dropout between the convolutions. Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        # Not in-place, so a recorded ``bn1`` output stays pre-activation.
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1,
                               bias=False)
        self.drop_rate = drop_rate
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride,
                                      bias=False)

    def forward(self, x: Tensor) -> Tensor:
        act = self.relu1(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(act)
        out = self.relu2(self.bn2(self.conv1(act)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return self.conv2(out) + identity


@MODELS.register_module()
class CifarWideResNet(BaseBackbone):
    """Wide ResNet for 32x32 inputs (``depth = 6n + 4``).

    A 3x3 stem with 16 channels, three stages of ``n`` pre-activation blocks
    with ``16k, 32k, 64k`` channels (strides 1, 2, 2) and a final BN + ReLU.
    The last stage's output is returned *after* the final BN + ReLU (what
    the classifier pools); earlier stages are raw block outputs.

    Modules for recorders: ``conv1`` (stem), ``layer1``..``layer3`` (raw
    stage outputs), ``final_norm`` (its output is the last stage's
    pre-activation), ``layer{i}.0.bn1`` (pre-activation of the previous
    stage's output).

    Args:
        arch (str | dict): ``'wrn16_1'``, ``'wrn16_2'``, ``'wrn40_1'``,
            ``'wrn40_2'`` or ``dict(depth=int, widen_factor=int)``.
            Defaults to ``'wrn40_2'``.
        in_channels (int): Input image channels. Defaults to 3.
        drop_rate (float): Dropout inside the blocks. Defaults to 0.
        out_indices (Sequence[int]): Stages (0..2) whose outputs are
            returned. Defaults to ``(2, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming (fan_out) for convolutions and 1/0 for BN.
    """

    #: name -> (depth, widen factor)
    arch_settings: Dict[str, Tuple[int, int]] = {
        'wrn16_1': (16, 1),
        'wrn16_2': (16, 2),
        'wrn40_1': (40, 1),
        'wrn40_2': (40, 2),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'wrn40_2',
                 in_channels: int = 3,
                 drop_rate: float = 0.0,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if init_cfg is None:
            init_cfg = default_init_cfg()
        super().__init__(init_cfg=init_cfg)
        depth, widen = self._parse_arch(arch)
        if isinstance(drop_rate, bool) or not isinstance(
                drop_rate, (int, float)) or not 0 <= drop_rate < 1:
            raise ValueError(f'drop_rate must be in [0, 1), got {drop_rate}')
        self.out_indices = check_out_indices(out_indices, 3)
        widths = (16 * widen, 32 * widen, 64 * widen)
        self.out_channels = widths
        blocks_per_stage = (depth - 4) // 6

        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        channels = add_stages(
            self, partial(WideBasicBlock, drop_rate=drop_rate), 16, widths,
            blocks_per_stage)
        self.final_norm = nn.BatchNorm2d(channels)
        self.final_act = nn.ReLU()  # keeps a recorded final_norm output

    def _parse_arch(self, arch: Union[str, dict]) -> Tuple[int, int]:
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ValueError(f'unknown CifarWideResNet arch {arch!r}; '
                                 f'choose from {list(self.arch_settings)} '
                                 'or pass dict(depth=..., widen_factor=...)')
            return self.arch_settings[arch]
        if not isinstance(arch, dict) or set(arch) != {'depth',
                                                       'widen_factor'}:
            raise ValueError('CifarWideResNet arch must be a name or '
                             'dict(depth=..., widen_factor=...), got '
                             f'{arch!r}')
        depth, widen = arch['depth'], arch['widen_factor']
        if not isinstance(depth, int) or depth < 10 or (depth - 4) % 6:
            raise ValueError('CifarWideResNet depth must be 6n + 4 with '
                             f'n >= 1 (10, 16, 28, 40, ...), got {depth!r}')
        if not isinstance(widen, int) or widen < 1:
            raise ValueError('CifarWideResNet widen_factor must be an int '
                             f'>= 1, got {widen!r}')
        return depth, widen

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            if i == 2:
                x = self.final_act(self.final_norm(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
