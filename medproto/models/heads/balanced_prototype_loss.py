# Copyright (c) medproto contributors. All rights reserved.
"""Long-tail-balanced regularisers for multi-prototype classifiers."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .dynamic_prototype_manager import check_assigned_slots

_NEG = -1e4  # "minus infinity" that keeps fp16 / bf16 finite


@MODELS.register_module()
class BalancedPrototypeLoss(nn.Module):
    """Cluster + separation + diversity + global contrastive prototype loss.

    With ``s[b, k, m]`` the cosine similarity between sample ``b`` and the
    ``m``-th prototype of class ``k`` (inactive prototypes masked out),
    ``y_b`` the label and ``w`` the class weights (e.g. class-balanced
    weights from the *training-set* counts, Cui et al., CVPR 2019):

    * cluster (intra-class compactness, class-weighted):
      ``sum_b w_{y_b} (1 - s[b, y_b, a_b]) / sum_b w_{y_b}``, with ``a_b``
      the positive prototype of sample ``b``: its nearest own prototype
      (``argmax_m s[b, y_b, m]``) or, when ``assigned`` is given, the slot
      it was assigned to (e.g. by the balanced Sinkhorn assignment of
      :meth:`DynamicPrototypeManager.assign`, so that every assigned
      prototype, not only the nearest, is pulled towards its samples);
    * separation (inter-class margin): ``mean_b ReLU(margin - (1 - max_{k !=
      y_b, m} s[b, k, m]))`` -- the nearest prototype of another class must
      be at cosine distance >= ``margin``;
    * diversity (against prototype collapse): soft orthogonality of the
      active prototypes of each class, ``mean ReLU(|cos(p_i, p_j)| -
      diversity_threshold)^2`` over pairs ``i != j`` of the same class;
    * contrastive (global prototype contrast): InfoNCE at temperature
      ``tau`` between the sample and *all* active prototypes, the positive
      being the prototype ``a_b`` of its class (as in the cluster term) and
      the negatives every prototype of the other classes.

    Default weights 0.8 / 0.12 / 0.08 / 0.05 follow the public
    ``HeadOptimal`` code (methods notes section 3.2); its fourth term
    (local consistency) is replaced by the global contrastive term.

    Args:
        cluster_weight (float): Weight of the cluster term. Defaults to 0.8.
        separation_weight (float): Weight of the separation term.
            Defaults to 0.12.
        diversity_weight (float): Weight of the diversity term.
            Defaults to 0.08.
        contrastive_weight (float): Weight of the contrastive term.
            Defaults to 0.05.
        margin (float): Separation margin (cosine distance). Defaults to 0.3.
        diversity_threshold (float): Tolerated ``|cos|`` between prototypes
            of a class. Defaults to 0.3.
        temperature (float): Contrastive temperature. Defaults to 0.1.
    """

    def __init__(self,
                 cluster_weight: float = 0.8,
                 separation_weight: float = 0.12,
                 diversity_weight: float = 0.08,
                 contrastive_weight: float = 0.05,
                 margin: float = 0.3,
                 diversity_threshold: float = 0.3,
                 temperature: float = 0.1) -> None:
        super().__init__()
        weights = dict(
            cluster=cluster_weight,
            separation=separation_weight,
            diversity=diversity_weight,
            contrastive=contrastive_weight)
        for name, value in weights.items():
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f'{name}_weight must be a number >= 0, got {value!r}')
        if not 0. <= margin <= 2.:
            raise ValueError(f'margin must be in [0, 2], got {margin!r}')
        if not 0. <= diversity_threshold < 1.:
            raise ValueError('diversity_threshold must be in [0, 1), got '
                             f'{diversity_threshold!r}')
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature!r}')
        self.weights = {k: float(v) for k, v in weights.items()}
        self.margin = float(margin)
        self.diversity_threshold = float(diversity_threshold)
        self.temperature = float(temperature)

    def forward(self,
                sims: Tensor,
                labels: Tensor,
                active: Tensor,
                prototypes: Tensor,
                class_weights: Optional[Tensor] = None,
                assigned: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Compute the weighted terms.

        Args:
            sims (Tensor): Cosine similarities, shape (B, K, M).
            labels (Tensor): Class indices, shape (B, ).
            active (Tensor): Bool mask of the active prototypes, (K, M);
                every class needs at least one.
            prototypes (Tensor): L2-normalised prototypes, shape (K, M, D).
            class_weights (Tensor, optional): Per-class weights, shape (K, ).
                Defaults to None (all ones).
            assigned (Tensor, optional): The positive prototype slot of each
                sample in its class, shape (B, ), int, each an active slot;
                None takes the nearest active one. Defaults to None.

        Returns:
            dict[str, Tensor]: The four weighted scalar terms, keyed
            ``'cluster'``, ``'separation'``, ``'diversity'`` and
            ``'contrastive'`` (no ``'loss'`` in the keys: the head sums them).
        """
        b, k, m = sims.shape
        if labels.shape != (b, ) or active.shape != (k, m) or \
                prototypes.shape[:2] != (k, m):
            raise ValueError(
                f'inconsistent shapes: sims {tuple(sims.shape)} (B, K, M), '
                f'labels {tuple(labels.shape)} (B,), active '
                f'{tuple(active.shape)} (K, M), prototypes '
                f'{tuple(prototypes.shape)} (K, M, D)')
        if not bool(active.any(dim=1).all()):
            raise ValueError('every class needs at least one active prototype')
        masked = sims.masked_fill(~active.unsqueeze(0), _NEG)
        own = F.one_hot(labels, k).bool()  # (B, K)
        if assigned is None:
            pos = masked[own].amax(dim=-1)  # (B,) nearest own prototype
        else:
            assigned = check_assigned_slots(assigned, labels, active)
            pos = sims[torch.arange(b, device=sims.device), labels,
                       assigned]  # (B,) assigned own prototype

        weight = sims.new_ones(b) if class_weights is None else \
            class_weights.to(sims)[labels]
        cluster = (weight * (1. - pos)).sum() / weight.sum().clamp_min(1e-12)

        if k > 1:
            other = masked.masked_fill(own.unsqueeze(-1), _NEG)
            nearest_other = other.flatten(1).amax(dim=1)
            separation = F.relu(self.margin - (1. - nearest_other)).mean()
            logits = torch.cat([pos.unsqueeze(1), other.flatten(1)], dim=1)
            contrastive = F.cross_entropy(
                logits / self.temperature,
                labels.new_zeros(b))
        else:
            separation = contrastive = sims.new_zeros(())

        cos = torch.einsum('kmd,knd->kmn', prototypes, prototypes)
        pair = active.unsqueeze(2) & active.unsqueeze(1)
        pair = pair & ~torch.eye(m, dtype=torch.bool, device=sims.device)
        penalty = F.relu(cos.abs() - self.diversity_threshold)**2
        diversity = (penalty * pair).sum() / pair.sum().clamp_min(1)

        terms = dict(
            cluster=cluster,
            separation=separation,
            diversity=diversity,
            contrastive=contrastive)
        return {name: self.weights[name] * v for name, v in terms.items()}
