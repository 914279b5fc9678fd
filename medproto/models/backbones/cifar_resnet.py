# Copyright (c) medproto contributors. All rights reserved.
"""CIFAR ResNets of the distillation benchmarks (resnet20/56, resnet8x4,
resnet32x4) as an mmpretrain backbone."""
from typing import Dict, Optional, Sequence, Tuple, Union

from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .cifar_utils import add_stages, check_out_indices, default_init_cfg


class CifarBasicBlock(nn.Module):
    """``conv3x3-BN-ReLU-conv3x3-BN`` plus shortcut, then ReLU.

    The final activation is its own (not in-place) module ``out_act``, so
    the pre-activation sum can be recorded as ``'<block>.out_act:input'``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.out_act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.out_act(out + identity)


@MODELS.register_module()
class CifarResNet(BaseBackbone):
    """ResNet for 32x32 inputs: a 3x3 stem and three stages of basic blocks.

    The layout of the CIFAR ResNets used by RepDistiller and mdistiller:
    ``depth = 6n + 2`` (n blocks per stage), stem width ``widths[0]`` and
    stage widths ``widths[1:]``, strides 1, 2, 2. ``resnet8x4`` /
    ``resnet32x4`` are the 4x wider variants.

    Modules for recorders: ``conv1``/``bn1``/``relu`` (stem),
    ``layer1``..``layer3`` (stage outputs after ReLU),
    ``layer{i}.{j}.out_act`` (block outputs; its ``:input`` is the
    pre-activation sum).

    Args:
        arch (str | dict): A name in :attr:`arch_settings` or
            ``dict(depth=int, widths=[stem, c1, c2, c3])``.
            Defaults to ``'resnet20'``.
        in_channels (int): Input image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages (0..2) whose outputs are
            returned. Defaults to ``(2, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming (fan_out) for convolutions and 1/0 for BN.
    """

    #: name -> (depth, (stem width, stage widths...))
    arch_settings: Dict[str, Tuple[int, Tuple[int, ...]]] = {
        'resnet8': (8, (16, 16, 32, 64)),
        'resnet14': (14, (16, 16, 32, 64)),
        'resnet20': (20, (16, 16, 32, 64)),
        'resnet32': (32, (16, 16, 32, 64)),
        'resnet44': (44, (16, 16, 32, 64)),
        'resnet56': (56, (16, 16, 32, 64)),
        'resnet110': (110, (16, 16, 32, 64)),
        'resnet8x4': (8, (32, 64, 128, 256)),
        'resnet32x4': (32, (32, 64, 128, 256)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'resnet20',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if init_cfg is None:
            init_cfg = default_init_cfg()
        super().__init__(init_cfg=init_cfg)
        depth, widths = self._parse_arch(arch)
        self.out_indices = check_out_indices(out_indices, 3)
        self.out_channels = tuple(widths[1:])
        blocks_per_stage = (depth - 2) // 6

        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        add_stages(self, CifarBasicBlock, widths[0], widths[1:],
                   blocks_per_stage)

    def _parse_arch(self, arch: Union[str, dict]) -> Tuple[int, tuple]:
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ValueError(f'unknown CifarResNet arch {arch!r}; '
                                 f'choose from {list(self.arch_settings)} '
                                 'or pass dict(depth=..., widths=[...])')
            return self.arch_settings[arch]
        if not isinstance(arch, dict) or set(arch) != {'depth', 'widths'}:
            raise ValueError('CifarResNet arch must be a name or '
                             f'dict(depth=..., widths=[...]), got {arch!r}')
        depth, widths = arch['depth'], tuple(arch['widths'])
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f'CifarResNet depth must be 6n + 2 with n >= 1 '
                             f'(8, 20, 32, 56, ...), got {depth!r}')
        if len(widths) != 4 or not all(
                isinstance(w, int) and w > 0 for w in widths):
            raise ValueError('CifarResNet widths must be 4 positive ints '
                             f'(stem and 3 stages), got {widths!r}')
        return depth, widths

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
