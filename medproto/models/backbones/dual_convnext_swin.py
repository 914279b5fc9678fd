# Copyright (c) medproto contributors. All rights reserved.
"""Dual-branch ConvNeXt + Swin backbone with per-stage hierarchical fusion."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from timm.layers import LayerNorm, LayerNorm2d, PatchEmbed
from timm.models.convnext import ConvNeXtStage
from timm.models.swin_transformer import SwinTransformerStage
from torch import Tensor, nn

from ..layers.layout import nchw_to_nhwc, nhwc_to_nchw

_ARCH_KEYS = ('dims', 'conv_depths', 'swin_depths', 'num_heads',
              'window_size')


@MODELS.register_module()
class DualConvNeXtSwin(BaseBackbone):
    """ConvNeXt (local) and Swin (global) branches fused at every stage.

    Four stages. In stage ``i`` the local branch runs timm's
    ``ConvNeXtStage`` and the global branch timm's ``SwinTransformerStage``
    (both taken from timm, not re-written), and a fusion block built from
    ``fusion`` (``MHFBlock`` / ``MHFBlockV2``) merges the two stage outputs
    with the previous fused map::

        l_1 = ConvNeXt_1(stem(x)),   g_1 = Swin_1(patch_embed(x))
        f_1 = Fuse_1(l_1, g_1)
        l_i = ConvNeXt_i(f_{i-1}),   g_i = Swin_i(f_{i-1})      (i = 2..4)
        f_i = Fuse_i(l_i, g_i, f_{i-1})

    i.e. the fusion is **interleaved**: the fused map feeds *both* next
    stages, as in the MHF code (methods notes section 3.2), not parallel
    branches as in HiFuse (Huo et al., BSPC 2024, arXiv 2209.10218). The
    ConvNeXt stages of stages 2-4 start with LN + 2x2 stride-2 conv, the Swin
    stages with patch merging.

    The Swin branch works on channels-last (B, H, W, C) maps; the fused
    (B, C, H, W) map is converted with a *permute* (:func:`nchw_to_nhwc`), so
    the token at (h, w) is the channel vector at (h, w). The public code
    reshaped without a transpose, mixing channels with positions.

    Input size: H and W must be multiples of ``patch_size * 2**3`` (32 with
    the default patch 4), so that both branches and the fusion shortcut
    (AvgPool 2x) agree at every stage; anything else raises a ValueError.
    Window attention uses a fixed window (parameters do not depend on the
    input size); a stage map that is not a multiple of the window is
    zero-padded bottom/right inside timm's Swin block with attention masks
    computed per call (``always_partition=True, dynamic_mask=True``), as
    Swin does for detection and segmentation. There are no hard-coded token
    counts: 64x64, 96x128, 128x128 or 224x224 all work.

    Arch presets (``dims``, ConvNeXt / Swin depths, Swin heads, window):

    * ``'nano'`` (alias ``'xtiny'``): (32, 64, 128, 256), (1, 1, 2, 1),
      (1, 1, 2, 1), (1, 2, 4, 8), 4 -- for CPU experiments and tests;
    * ``'micro'``: (48, 96, 192, 384), (1, 1, 2, 1), (1, 1, 2, 1),
      (2, 3, 6, 12), 4 -- the larger CPU teacher of the nano student on
      PBC (``configs/pbc/dual_micro_linear_cb_lt100.py``);
    * ``'tiny'``: (96, 192, 384, 768), (2, 2, 2, 2), (2, 2, 2, 2),
      (3, 6, 12, 24), 7 (HiFuse_Tiny depths);
    * ``'small'``: (96, 192, 384, 768), (3, 3, 9, 3), (2, 2, 6, 2),
      (3, 6, 12, 24), 7 (HiFuse_Small depths).

    Args:
        arch (str | dict): Preset name or a dict with the keys ``dims``,
            ``conv_depths``, ``swin_depths``, ``num_heads`` (4 entries each)
            and ``window_size``. Defaults to ``'nano'``.
        in_channels (int): Image channels. Defaults to 3.
        patch_size (int): Stem / patch-embedding stride. Defaults to 4.
        fusion (dict): Fusion block config; ``local_channels``,
            ``global_channels``, ``out_channels``, ``prev_channels`` and
            ``drop_rate`` are filled in per stage. Defaults to
            ``dict(type='MHFBlock')``.
        fusion_drop_rates (Sequence[float]): Dropout2d rate of each stage's
            fusion block. Defaults to (0, 0.1, 0.2, 0.2) (MHF code).
        drop_path_rate (float): Stochastic depth, linearly increasing over
            the blocks of each branch. Defaults to 0.
        layer_scale_init_value (float): ConvNeXt layer-scale init.
            Defaults to 1e-6.
        mlp_ratio (float): Swin MLP ratio. Defaults to 4.
        out_indices (Sequence[int]): Stages (0..3) whose fused maps are
            returned. Defaults to (3, ).
        out_norm (bool): LayerNorm (channels-first) on each returned map.
            Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to truncated-normal (std 0.02) convs / linears and unit
            LayerNorms (timm's ConvNeXt / Swin init).

    Shape:
        - Input: (B, in_channels, H, W), H and W multiples of 32.
        - Output: tuple with one (B, dims[i], H / 2**(i+2), W / 2**(i+2))
          map per entry of ``out_indices``.
    """

    arch_zoo: Dict[str, dict] = {
        'nano':
        dict(
            dims=(32, 64, 128, 256),
            conv_depths=(1, 1, 2, 1),
            swin_depths=(1, 1, 2, 1),
            num_heads=(1, 2, 4, 8),
            window_size=4),
        'micro':
        dict(
            dims=(48, 96, 192, 384),
            conv_depths=(1, 1, 2, 1),
            swin_depths=(1, 1, 2, 1),
            num_heads=(2, 3, 6, 12),
            window_size=4),
        'tiny':
        dict(
            dims=(96, 192, 384, 768),
            conv_depths=(2, 2, 2, 2),
            swin_depths=(2, 2, 2, 2),
            num_heads=(3, 6, 12, 24),
            window_size=7),
        'small':
        dict(
            dims=(96, 192, 384, 768),
            conv_depths=(3, 3, 9, 3),
            swin_depths=(2, 2, 6, 2),
            num_heads=(3, 6, 12, 24),
            window_size=7),
    }
    arch_zoo['xtiny'] = arch_zoo['nano']
    num_stages = 4

    def __init__(self,
                 arch: Union[str, dict] = 'nano',
                 in_channels: int = 3,
                 patch_size: int = 4,
                 fusion: dict = dict(type='MHFBlock'),
                 fusion_drop_rates: Sequence[float] = (0., 0.1, 0.2, 0.2),
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 mlp_ratio: float = 4.,
                 out_indices: Sequence[int] = (3, ),
                 out_norm: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(
                         type='TruncNormal',
                         layer=['Conv2d', 'Linear'],
                         std=.02,
                         bias=0.),
                     dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self._parse_arch(arch)
        dims = self.arch_settings['dims']
        window_size = self.arch_settings['window_size']
        if not isinstance(patch_size, int) or patch_size < 1:
            raise ValueError(
                f'patch_size must be a positive int, got {patch_size!r}')
        if not isinstance(fusion, dict) or 'type' not in fusion:
            raise TypeError(
                f'fusion must be a config dict with "type", got {fusion!r}')
        fusion_drop_rates = tuple(fusion_drop_rates)
        if len(fusion_drop_rates) != self.num_stages:
            raise ValueError('fusion_drop_rates needs one rate per stage (4), '
                             f'got {fusion_drop_rates!r}')
        if not 0. <= drop_path_rate < 1.:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate!r}')
        out_indices = tuple(out_indices)
        if not out_indices or any(
                not isinstance(i, int) or not 0 <= i < self.num_stages
                for i in out_indices):
            raise ValueError('out_indices must be a non-empty sequence of '
                             f'stage indices in [0, 3], got {out_indices!r}')
        self.in_channels = in_channels
        self.patch_size = patch_size
        self.size_divisor = patch_size * 2**(self.num_stages - 1)
        self.out_indices = out_indices
        self.dims = dims

        self.conv_stem = nn.Sequential(
            nn.Conv2d(in_channels, dims[0], patch_size, stride=patch_size),
            LayerNorm2d(dims[0]))
        self.patch_embed = PatchEmbed(
            img_size=None,
            patch_size=patch_size,
            in_chans=in_channels,
            embed_dim=dims[0],
            norm_layer=nn.LayerNorm,
            output_fmt='NHWC',
            strict_img_size=False)

        conv_dpr = self._drop_path_rates(self.arch_settings['conv_depths'],
                                         drop_path_rate)
        swin_dpr = self._drop_path_rates(self.arch_settings['swin_depths'],
                                         drop_path_rate)
        self.conv_stages = nn.ModuleList()
        self.swin_stages = nn.ModuleList()
        self.fusions = nn.ModuleList()
        for i in range(self.num_stages):
            in_dim = dims[max(i - 1, 0)]
            self.conv_stages.append(
                ConvNeXtStage(
                    in_chs=in_dim,
                    out_chs=dims[i],
                    stride=2 if i > 0 else 1,
                    depth=self.arch_settings['conv_depths'][i],
                    drop_path_rates=conv_dpr[i],
                    ls_init_value=layer_scale_init_value,
                    norm_layer=LayerNorm2d,
                    norm_layer_cl=LayerNorm))
            # ``input_resolution`` only matters for timm's static masks and
            # window clipping, both disabled here (dynamic masks, fixed
            # windows), so any nominal value works.
            self.swin_stages.append(
                SwinTransformerStage(
                    dim=in_dim,
                    out_dim=dims[i],
                    input_resolution=(window_size, window_size),
                    depth=self.arch_settings['swin_depths'][i],
                    downsample=i > 0,
                    num_heads=self.arch_settings['num_heads'][i],
                    window_size=window_size,
                    always_partition=True,
                    dynamic_mask=True,
                    mlp_ratio=mlp_ratio,
                    drop_path=swin_dpr[i]))
            fusion_cfg = copy.deepcopy(fusion)
            fusion_cfg.update(
                local_channels=dims[i],
                global_channels=dims[i],
                out_channels=dims[i],
                prev_channels=dims[i - 1] if i > 0 else None,
                drop_rate=fusion_drop_rates[i])
            self.fusions.append(MODELS.build(fusion_cfg))
            if i in out_indices:
                self.add_module(f'norm{i}', LayerNorm2d(dims[i])
                                if out_norm else nn.Identity())

    def _parse_arch(self, arch: Union[str, dict]) -> dict:
        """Resolve ``arch`` to a validated settings dict."""
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise ValueError(f'arch must be one of '
                                 f'{sorted(self.arch_zoo)} or a dict, got '
                                 f'{arch!r}')
            return dict(self.arch_zoo[arch])
        if not isinstance(arch, dict) or set(arch) != set(_ARCH_KEYS):
            raise ValueError(f'a custom arch must be a dict with exactly the '
                             f'keys {_ARCH_KEYS}, got {arch!r}')
        settings = {k: tuple(v) if k != 'window_size' else v
                    for k, v in arch.items()}
        for key in _ARCH_KEYS[:-1]:
            if len(settings[key]) != self.num_stages or any(
                    not isinstance(v, int) or v < 1 for v in settings[key]):
                raise ValueError(f'arch["{key}"] must be 4 positive ints, got '
                                 f'{settings[key]!r}')
        for dim, heads in zip(settings['dims'], settings['num_heads']):
            if dim % heads:
                raise ValueError(f'each dim must be divisible by its number '
                                 f'of heads, got dims={settings["dims"]}, '
                                 f'num_heads={settings["num_heads"]}')
        if not isinstance(settings['window_size'],
                          int) or settings['window_size'] < 1:
            raise ValueError('arch["window_size"] must be a positive int, got '
                             f'{settings["window_size"]!r}')
        return settings

    @staticmethod
    def _drop_path_rates(depths: Sequence[int],
                         rate: float) -> List[List[float]]:
        """Linearly increasing stochastic-depth rates, split per stage."""
        rates = torch.linspace(0, rate, sum(depths)).tolist()
        out, start = [], 0
        for depth in depths:
            out.append(rates[start:start + depth])
            start += depth
        return out

    def _check_input(self, x: Tensor) -> None:
        """Raise a ValueError naming the accepted input sizes."""
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(f'DualConvNeXtSwin expects (B, {self.in_channels}'
                             f', H, W) images, got {tuple(x.shape)}')
        h, w = x.shape[2:]
        d = self.size_divisor
        if h % d or w % d:
            raise ValueError(
                f'DualConvNeXtSwin needs H and W to be multiples of {d} '
                f'(patch {self.patch_size} x 2**3 downsamplings, so the '
                f'ConvNeXt and Swin branches and the fusion shortcut agree at '
                f'every stage), got {h}x{w}; resize or pad to e.g. '
                f'{max(d, h // d * d)}x{max(d, w // d * d)}')

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Extract the fused stage maps.

        Args:
            x (Tensor): Images, shape (B, in_channels, H, W).

        Returns:
            tuple[Tensor]: Fused maps of the stages in ``out_indices``, each
            (B, dims[i], H / 2**(i+2), W / 2**(i+2)) (channels-first).
        """
        self._check_input(x)
        outs = []
        fused: Optional[Tensor] = None
        for i in range(self.num_stages):
            if fused is None:
                local = self.conv_stages[i](self.conv_stem(x))
                global_ = self.swin_stages[i](self.patch_embed(x))
            else:
                local = self.conv_stages[i](fused)
                global_ = self.swin_stages[i](nchw_to_nhwc(fused))
            fused = self.fusions[i](local, nhwc_to_nchw(global_), fused)
            if i in self.out_indices:
                outs.append(getattr(self, f'norm{i}')(fused))
        return tuple(outs)
