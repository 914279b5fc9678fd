# Copyright (c) medproto contributors. All rights reserved.
"""Relational knowledge distillation (Park et al., CVPR 2019)."""
import torch
import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (check_non_negative, check_positive, flatten_embedding,
                    zero_loss)


@MODELS.register_module()
class RKDLoss(BaseDistillLoss):
    """Distance- and angle-wise relational distillation.

    For a batch of embeddings ``e_1..e_N`` (Park et al., "Relational
    Knowledge Distillation", CVPR 2019):

    * distance: ``psi_D(i, j) = ||e_i - e_j||_2 / mu`` with ``mu`` the mean
      of the non-zero (off-diagonal) distances; squared distances are
      clamped at ``eps`` before the square root;
    * angle: ``psi_A(i, j, k) = <u_ij, u_kj>`` with
      ``u_ij = (e_i - e_j) / ||e_i - e_j||``;
    * ``L = w_D * SmoothL1(psi_D^S, psi_D^T) + w_A * SmoothL1(psi_A^S,
      psi_A^T)`` (means over all pairs / triplets).

    Defaults follow mdistiller (25 / 50, on the pooled feature). A batch of
    fewer than 2 samples has no relations and gives a zero loss.

    Args:
        distance_weight (float): ``w_D`` (>= 0). Defaults to 25.0.
        angle_weight (float): ``w_A`` (>= 0). Defaults to 50.0.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        eps (float): Lower clamp of the squared distances (> 0).
            Defaults to 1e-12.
    """

    def __init__(self,
                 distance_weight: float = 25.0,
                 angle_weight: float = 50.0,
                 loss_weight: float = 1.0,
                 eps: float = 1e-12) -> None:
        super().__init__(loss_weight)
        self.distance_weight = check_non_negative('distance_weight',
                                                  distance_weight)
        self.angle_weight = check_non_negative('angle_weight', angle_weight)
        self.eps = check_positive('eps', eps)

    def distance_potential(self, embed: Tensor) -> Tensor:
        """``psi_D``: (N, D) -> (N, N), zero diagonal, off-diagonal mean 1."""
        sq_norm = embed.pow(2).sum(dim=1)
        sq_dist = sq_norm[:, None] + sq_norm[None, :] - 2 * embed @ embed.t()
        dist = sq_dist.clamp(min=self.eps).sqrt()
        off_diag = ~torch.eye(len(embed), dtype=torch.bool,
                              device=embed.device)
        dist = dist * off_diag
        return dist / dist[off_diag].mean()

    @staticmethod
    def angle_potential(embed: Tensor) -> Tensor:
        """``psi_A``: (N, D) -> (N, N, N) cosines at the middle index."""
        # diff[j, i] = e_i - e_j, normalised along D.
        diff = F.normalize(embed[None, :, :] - embed[:, None, :], dim=2)
        return torch.bmm(diff, diff.transpose(1, 2))

    def forward(self, embed_S: Tensor, embed_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            embed_S (Tensor): Student embedding, (N, D_S) or (N, D_S, 1, 1).
            embed_T (Tensor): Teacher embedding, (N, D_T) or
                (N, D_T, 1, 1); detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        embed_S = flatten_embedding(embed_S, 'embed_S')
        embed_T = flatten_embedding(embed_T.detach(), 'embed_T')
        if embed_S.size(0) != embed_T.size(0):
            raise ValueError('RKDLoss needs the same batch size, got '
                             f'{embed_S.size(0)} and {embed_T.size(0)}')
        if embed_S.size(0) < 2:
            return zero_loss(embed_S)
        loss_d = F.smooth_l1_loss(
            self.distance_potential(embed_S),
            self.distance_potential(embed_T))
        loss_a = F.smooth_l1_loss(
            self.angle_potential(embed_S), self.angle_potential(embed_T))
        return self.loss_weight * (
            self.distance_weight * loss_d + self.angle_weight * loss_a)

    def extra_repr(self) -> str:
        return (f'distance_weight={self.distance_weight}, angle_weight='
                f'{self.angle_weight}, eps={self.eps}, '
                f'{super().extra_repr()}')
