# Copyright (c) medproto contributors. All rights reserved.
"""MHF_block_v2: ``MHFBlock`` plus a zero-initialised enhancement branch."""
from typing import Optional, Union

from mmpretrain.registry import MODELS
from torch import Tensor

from .mhf_block import MHFBlock

#: Short names accepted for ``enhancement``.
ENHANCEMENTS = {
    'lite': 'EnhancementModuleLite',
    'amafdsg': 'AMAFDSGModule',
}


@MODELS.register_module()
class MHFBlockV2(MHFBlock):
    """``MHFBlock`` with an enhancement residual on the fused map.

    ``out = (fuse + E(fuse)) + F'``, where ``fuse`` and the shortcut ``F'``
    come unchanged from :meth:`MHFBlock.fuse` and ``E`` is zero at
    initialisation (both enhancements end in a zero-initialised scale).
    Hence a ``MHFBlockV2`` loaded with an ``MHFBlock`` state dict
    (``strict=False``; only the ``enhancement.*`` keys are missing) computes
    exactly the same function until ``E`` is trained. Only
    :meth:`MHFBlock.enhance` (the identity in the parent) is overridden
    (methods notes section 3.2).

    Args:
        local_channels (int): Channels of the local map (C_l).
        global_channels (int): Channels of the global map (C_g).
        out_channels (int): Output channels C_out.
        prev_channels (int, optional): Channels of the previous fused map;
            None for the first stage. Defaults to None.
        enhancement (str | dict | None): ``'lite'``
            (:class:`EnhancementModuleLite`), ``'amafdsg'``
            (:class:`AMAFDSGModule`), a config dict for any registered module
            taking ``channels``, or None (no enhancement: identical to
            ``MHFBlock``). Defaults to ``'lite'``.
        **kwargs: Other arguments of :class:`MHFBlock` (``reduction``,
            ``drop_rate``, ``double_sigmoid``, ``init_cfg``).

    Shape:
        - local: (B, C_l, H, W); global: (B, C_g, H, W);
          prev: (B, C_f, 2H, 2W) or None.
        - Output: (B, C_out, H, W).
    """

    def __init__(self,
                 local_channels: int,
                 global_channels: int,
                 out_channels: int,
                 prev_channels: Optional[int] = None,
                 enhancement: Union[str, dict, None] = 'lite',
                 **kwargs) -> None:
        super().__init__(local_channels, global_channels, out_channels,
                         prev_channels, **kwargs)
        if enhancement is None:
            self.enhancement = None
            return
        if isinstance(enhancement, str):
            if enhancement not in ENHANCEMENTS:
                raise ValueError(
                    f'enhancement must be one of {sorted(ENHANCEMENTS)}, a '
                    f'config dict or None, got {enhancement!r}')
            enhancement = dict(type=ENHANCEMENTS[enhancement])
        elif not isinstance(enhancement, dict) or 'type' not in enhancement:
            raise TypeError('enhancement must be a str, a dict with a "type" '
                            f'key or None, got {enhancement!r}')
        cfg = dict(enhancement)
        cfg.setdefault('channels', out_channels)
        if cfg['channels'] != out_channels:
            raise ValueError(
                f'enhancement channels must equal out_channels={out_channels}'
                f', got {cfg["channels"]}')
        self.enhancement = MODELS.build(cfg)

    def enhance(self, fused: Tensor) -> Tensor:
        """Add the enhancement residual to the fused map.

        Args:
            fused (Tensor): Output of :meth:`fuse`, shape (B, C_out, H, W).

        Returns:
            Tensor: ``fused + E(fused)`` (``fused`` without an enhancement),
            same shape.
        """
        if self.enhancement is None:
            return fused
        return fused + self.enhancement(fused)
