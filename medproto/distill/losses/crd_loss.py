# Copyright (c) medproto contributors. All rights reserved.
"""Contrastive representation distillation (Tian et al., ICLR 2020)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (check_non_negative, check_positive, check_positive_int,
                    flatten_embedding)

#: Added to the NCE denominators, as in the reference implementation.
_NCE_EPS = 1e-7


class _Embed(nn.Module):
    """Linear projection followed by L2 normalisation: (N, D) -> (N, d)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.linear(x), dim=1)


@MODELS.register_module()
class CRDLoss(BaseDistillLoss):
    """CRD with two momentum memory banks and the NCE objective.

    Tian, Krishnan & Isola, "Contrastive Representation Distillation",
    ICLR 2020. Student and teacher embeddings are projected by linear heads
    (trained with the student) to unit vectors ``v_S, v_T`` of size
    ``feat_dim``. For a sample ``i`` the student anchor is scored against
    the *teacher* memory at its own index (positive) and at ``K`` other
    indices (negatives), ``h = exp(v_S . m_T / tau) / Z_S``, and vice versa.
    With ``P_n = 1 / num_data`` the NCE loss of one direction is::

        -1/B sum_i [ log(h_i+ / (h_i+ + K P_n))
                     + sum_k log(K P_n / (h_ik- + K P_n)) ]

    and ``L = loss_weight * (L_S + L_T)``. ``Z`` is fixed from the first
    batch as ``mean(exp(.)) * num_data`` and stored as a buffer, as are both
    memory banks, so a resumed run continues with them. After the loss the
    banks are updated under ``no_grad``:
    ``m_i <- normalize(momentum * m_i + (1 - momentum) * v_i)``.

    Negatives are drawn uniformly from the other ``num_data - 1`` indices
    when ``contrast_idx`` is not given (RepDistiller's "exact" mode instead
    draws them from other classes in the dataset). The banks are updated
    from the local batch only; under DDP with ``broadcast_buffers=True``
    rank 0's banks overwrite the others' at every forward.

    Args:
        s_dim (int): Student embedding size (flattened).
        t_dim (int): Teacher embedding size (flattened).
        num_data (int): Number of training samples (memory-bank rows).
        feat_dim (int): Projection size. Defaults to 128.
        num_negatives (int): Negatives K per anchor. Defaults to 16384.
        nce_t (float): Temperature (> 0). Defaults to 0.07.
        momentum (float): Memory momentum in [0, 1]. Defaults to 0.5.
        loss_weight (float): Factor applied to the loss. Defaults to 0.8.
        seed (int, optional): Seed of the private CPU ``torch.Generator``
            the negatives are drawn from; when None it is drawn from
            torch's global generator at construction. Its state is
            checkpointed by :class:`~medproto.engine.hooks.RngStateHook`,
            so a resumed run draws the same negatives. Defaults to None.
    """

    def __init__(self,
                 s_dim: int,
                 t_dim: int,
                 num_data: int,
                 feat_dim: int = 128,
                 num_negatives: int = 16384,
                 nce_t: float = 0.07,
                 momentum: float = 0.5,
                 loss_weight: float = 0.8,
                 seed: Optional[int] = None) -> None:
        super().__init__(loss_weight)
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, int)):
            raise ValueError(f'seed must be None or an int, got {seed!r}')
        if seed is None:
            seed = int(torch.randint(2**62, ()).item())
        self.generator = torch.Generator().manual_seed(seed)
        check_positive_int('s_dim', s_dim)
        check_positive_int('t_dim', t_dim)
        self.num_data = check_positive_int('num_data', num_data)
        if num_data < 2:
            raise ValueError('num_data must be >= 2 (CRD needs negatives), '
                             f'got {num_data}')
        self.feat_dim = check_positive_int('feat_dim', feat_dim)
        self.num_negatives = check_positive_int('num_negatives',
                                                num_negatives)
        self.nce_t = check_positive('nce_t', nce_t)
        self.momentum = check_non_negative('momentum', momentum)
        if self.momentum > 1:
            raise ValueError(f'momentum must be in [0, 1], got {momentum!r}')
        self.embed_S = _Embed(s_dim, feat_dim)
        self.embed_T = _Embed(t_dim, feat_dim)
        # Uniform init in [-stdv, stdv] with stdv = 1 / sqrt(feat_dim / 3),
        # as in the reference memory.
        stdv = 1.0 / math.sqrt(feat_dim / 3)
        for name in ('memory_S', 'memory_T'):
            self.register_buffer(
                name, torch.empty(num_data, feat_dim).uniform_(-stdv, stdv))
        # Normalisation constants; -1 marks "not set yet".
        self.register_buffer('z_S', torch.tensor(-1.0))
        self.register_buffer('z_T', torch.tensor(-1.0))

    def sample_negatives(self, sample_idx: Tensor) -> Tensor:
        """Draw K indices per sample uniformly from the other indices.

        Args:
            sample_idx (Tensor): Positive indices, shape (B,).

        Returns:
            Tensor: Long tensor (B, K) with no entry equal to its row's
            positive index.
        """
        draw = torch.randint(
            0,
            self.num_data - 1, (sample_idx.numel(), self.num_negatives),
            generator=self.generator).to(sample_idx.device)
        # Skip the positive: values >= idx move up by one.
        return draw + (draw >= sample_idx[:, None]).long()

    def _scores(self, anchor: Tensor, memory: Tensor, idx: Tensor,
                z: Tensor) -> Tensor:
        """``exp(anchor . memory[idx] / tau) / Z``; sets ``Z`` on first use.

        Args:
            anchor (Tensor): (B, d) unit vectors.
            memory (Tensor): (num_data, d) memory bank of the other model.
            idx (Tensor): (B, 1 + K) indices, positive first.
            z (Tensor): The 0-d normalisation buffer (filled in place).

        Returns:
            Tensor: (B, 1 + K) scores.
        """
        weight = memory[idx].detach()
        out = torch.exp(torch.einsum('bkd,bd->bk', weight, anchor) /
                        self.nce_t)
        if z.item() < 0:
            z.fill_(out.detach().mean().item() * self.num_data)
        return out / z

    def _nce(self, scores: Tensor) -> Tensor:
        """NCE loss of one direction from (B, 1 + K) scores."""
        noise = (scores.size(1) - 1) / self.num_data  # K * P_n
        log_pos = torch.log(scores[:, 0] / (scores[:, 0] + noise + _NCE_EPS))
        log_neg = torch.log(noise / (scores[:, 1:] + noise + _NCE_EPS))
        return -(log_pos.sum() + log_neg.sum()) / scores.size(0)

    @torch.no_grad()
    def _update_memory(self, memory: Tensor, embed: Tensor,
                       sample_idx: Tensor) -> None:
        """Momentum update of the rows ``sample_idx`` of ``memory``."""
        rows = memory[sample_idx] * self.momentum + embed.detach() * (
            1 - self.momentum)
        memory.index_copy_(0, sample_idx, F.normalize(rows, dim=1))

    def forward(self,
                embed_S: Tensor,
                embed_T: Tensor,
                sample_idx: Optional[Tensor] = None,
                contrast_idx: Optional[Tensor] = None) -> Tensor:
        """Compute the loss, then update the memory banks (in training).

        Args:
            embed_S (Tensor): Student embedding, (B, s_dim) or
                (B, s_dim, 1, 1).
            embed_T (Tensor): Teacher embedding, (B, t_dim) or
                (B, t_dim, 1, 1); detached here.
            sample_idx (Tensor): Dataset indices of the batch, (B,).
            contrast_idx (Tensor, optional): Negative indices (B, K'); drawn
                uniformly when None.

        Returns:
            Tensor: The weighted scalar loss.
        """
        if sample_idx is None:
            raise ValueError('CRD needs sample indices: set the dataset to '
                             'return sample_idx')
        sample_idx = sample_idx.reshape(-1).long().to(self.memory_S.device)
        if sample_idx.numel() != embed_S.size(0):
            raise ValueError(f'sample_idx has {sample_idx.numel()} entries '
                             f'for a batch of {embed_S.size(0)}')
        if sample_idx.min() < 0 or sample_idx.max() >= self.num_data:
            raise ValueError(f'sample_idx must be in [0, {self.num_data}) '
                             '(num_data = the training-set size)')
        if contrast_idx is None:
            contrast_idx = self.sample_negatives(sample_idx)
        elif contrast_idx.dim() != 2 or contrast_idx.size(0) != len(
                sample_idx):
            raise ValueError(f'contrast_idx must be (B={len(sample_idx)}, K),'
                             f' got {tuple(contrast_idx.shape)}')
        elif contrast_idx.min() < 0 or contrast_idx.max() >= self.num_data:
            raise ValueError(
                f'contrast_idx must be in [0, {self.num_data})')
        idx = torch.cat(
            [sample_idx[:, None],
             contrast_idx.long().to(sample_idx.device)], dim=1)
        v_S = self.embed_S(flatten_embedding(embed_S, 'embed_S'))
        v_T = self.embed_T(flatten_embedding(embed_T.detach(), 'embed_T'))
        loss = self._nce(self._scores(v_S, self.memory_T, idx, self.z_S)) + \
            self._nce(self._scores(v_T, self.memory_S, idx, self.z_T))
        if self.training:
            self._update_memory(self.memory_S, v_S, sample_idx)
            self._update_memory(self.memory_T, v_T, sample_idx)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_data={self.num_data}, feat_dim={self.feat_dim}, '
                f'num_negatives={self.num_negatives}, nce_t={self.nce_t}, '
                f'momentum={self.momentum}, {super().extra_repr()}')
