# Copyright (c) medproto contributors. All rights reserved.
"""Prototype refinement by cross-, global self- and class-local attention."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class MixedAttentionBlock(BaseModule):
    """Refine class prototypes with the image and with each other.

    Three multi-head attention branches act on the P = K * M prototypes:

    * cross-attention: prototypes (queries) attend to the image tokens of
      *their own* sample (keys / values), giving per-image prototypes (the
      public code attended over all tokens of the batch, which made a
      prediction depend on the other images in the batch);
    * global self-attention among all active prototypes (class relations);
    * local self-attention among the active prototypes *of the same class*
      (a block-diagonal mask: fine, within-class structure).

    They are combined by a learned softmax gate (init uniform) as a residual,
    followed by a feed-forward block, both pre-norm with per-channel layer
    scales ``gamma`` (CaiT, Touvron et al., ICCV 2021)::

        q = LN1(p)
        x = p + gamma1 * sum_i softmax(g)_i * branch_i(q)
        out = x + gamma2 * FFN(LN2(x))

    With ``layer_scale_init=0`` (the default) the block starts as the
    identity, ``out == p``: the refined prototypes live in the space of the
    shared ones, so the momentum updates of :class:`DynamicPrototypeManager`
    (which move the shared prototypes towards the class embeddings) act on
    what the head compares with. The earlier post-norm layout,
    ``x = LN(p + mixed); out = LN(x + FFN(x))`` (``layer_scale_init=None``,
    kept for its checkpoints), maps the prototypes through a random FFN and
    two LayerNorms at init, so the momentum updates pulled the shared
    prototypes towards embeddings the head never compared them with.

    Inactive prototypes are never used as keys.

    Args:
        embed_dims (int): Token / prototype dimension D.
        num_heads (int): Attention heads (D must be divisible by it).
            Defaults to 4.
        ffn_ratio (float): FFN hidden size over D. Defaults to 4.
        dropout (float): Dropout in attention and FFN. Defaults to 0.
        layer_scale_init (float, optional): Initial value of the layer
            scales of the pre-norm layout; None selects the post-norm layout
            without layer scales. Defaults to 0.
        init_cfg (dict, optional): mmengine initialisation config.
            Defaults to None.

    Shape:
        - prototypes: (P, D); tokens: (B, N, D); groups: (P, ) class index
          of each prototype; active: (P, ) bool.
        - Output: (B, P, D).
    """

    branches = ('cross', 'global', 'local')

    def __init__(self,
                 embed_dims: int,
                 num_heads: int = 4,
                 ffn_ratio: float = 4.,
                 dropout: float = 0.,
                 layer_scale_init: Optional[float] = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(embed_dims, int) or not isinstance(
                num_heads, int) or num_heads < 1 or embed_dims % num_heads:
            raise ValueError('embed_dims must be an int divisible by the '
                             f'positive int num_heads, got {embed_dims!r} and '
                             f'{num_heads!r}')
        if ffn_ratio <= 0 or not 0. <= dropout < 1.:
            raise ValueError('ffn_ratio must be > 0 and dropout in [0, 1), '
                             f'got {ffn_ratio!r} and {dropout!r}')
        self.embed_dims = embed_dims

        def mha() -> nn.MultiheadAttention:
            return nn.MultiheadAttention(
                embed_dims, num_heads, dropout=dropout, batch_first=True)

        self.cross_attn = mha()
        self.global_attn = mha()
        self.local_attn = mha()
        self.gate_logits = nn.Parameter(torch.zeros(len(self.branches)))
        self.norm1 = nn.LayerNorm(embed_dims)
        hidden = int(embed_dims * ffn_ratio)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, embed_dims), nn.Dropout(dropout))
        self.norm2 = nn.LayerNorm(embed_dims)
        self.pre_norm = layer_scale_init is not None
        if self.pre_norm:
            if isinstance(layer_scale_init, bool) or not isinstance(
                    layer_scale_init, (int, float)):
                raise ValueError('layer_scale_init must be a float or None, '
                                 f'got {layer_scale_init!r}')
            self.gamma1 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init)))
            self.gamma2 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init)))

    def forward(self, prototypes: Tensor, tokens: Tensor, groups: Tensor,
                active: Tensor) -> Tensor:
        """Refine the prototypes for every image of the batch.

        Args:
            prototypes (Tensor): Shared prototypes, shape (P, D).
            tokens (Tensor): Image tokens, shape (B, N, D).
            groups (Tensor): Class index of each prototype, shape (P, ).
            active (Tensor): Bool mask of the active prototypes, (P, ).

        Returns:
            Tensor: Per-image prototypes, shape (B, P, D).
        """
        p, d = prototypes.shape
        if d != self.embed_dims or tokens.dim() != 3 or tokens.size(
                2) != d or groups.shape != (p, ) or active.shape != (p, ):
            raise ValueError(
                f'expected prototypes (P, {self.embed_dims}), tokens (B, N, '
                f'{self.embed_dims}), groups and active (P,), got '
                f'{tuple(prototypes.shape)}, {tuple(tokens.shape)}, '
                f'{tuple(groups.shape)}, {tuple(active.shape)}')
        b = tokens.size(0)
        query = prototypes.unsqueeze(0)  # (1, P, D)
        if self.pre_norm:
            query = self.norm1(query)
        # True = may not attend. Every query keeps >= 1 key: the active
        # prototypes of its class.
        inactive_key = ~active.unsqueeze(0).expand(p, p)
        other_class = groups.unsqueeze(1) != groups.unsqueeze(0)
        global_out = self.global_attn(
            query, query, query, attn_mask=inactive_key,
            need_weights=False)[0]
        local_out = self.local_attn(
            query, query, query, attn_mask=inactive_key | other_class,
            need_weights=False)[0]
        cross_out = self.cross_attn(
            query.expand(b, -1, -1), tokens, tokens, need_weights=False)[0]
        w = self.gate_logits.softmax(dim=0)
        mixed = w[0] * cross_out + w[1] * global_out + w[2] * local_out
        if self.pre_norm:
            x = prototypes + self.gamma1 * mixed  # (B, P, D)
            return x + self.gamma2 * self.ffn(self.norm2(x))
        x = self.norm1(query + mixed)
        return self.norm2(x + self.ffn(x))
