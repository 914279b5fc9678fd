# Copyright (c) medproto contributors. All rights reserved.
"""Balanced (equipartition) soft assignment by Sinkhorn-Knopp iterations."""
import math
from typing import Optional

import torch
from torch import Tensor

__all__ = ['sinkhorn_knopp']


def sinkhorn_knopp(scores: Tensor,
                   mask: Optional[Tensor] = None,
                   epsilon: float = 0.05,
                   num_iters: int = 3) -> Tensor:
    """Assign N samples to P prototypes so that every prototype gets an
    equal share (entropic optimal transport, Sinkhorn-Knopp).

    Approximates ``max_Q <Q, S> + epsilon * H(Q)`` over the plans ``Q >= 0``
    whose rows sum to ``1 / N`` (every sample fully assigned) and whose
    columns sum to ``1 / P'`` (equipartition over the ``P'`` usable
    prototypes), starting from ``exp(S / epsilon)`` and alternating a column
    and a row normalisation ``num_iters`` times, as in SwAV (Caron et al.,
    NeurIPS 2020, Alg. 1: 3 iterations, epsilon 0.05) and ProtoSeg (Zhou et
    al., CVPR 2022, "Rethinking Semantic Segmentation: A Prototype View",
    Eq. 6). The iterations run in the log domain (``logsumexp``), so small
    ``epsilon`` does not underflow. The last step normalises the rows, so
    the returned rows sum to 1 exactly and the columns to about ``N / P'``
    (exactly in the limit of many iterations).

    With fewer samples than prototypes (``N < P'``) the plan is still
    defined (each prototype gets ``N / P'`` of a sample); with ``N = 1`` it
    is uniform over the usable prototypes, so a caller that takes its
    argmax must break that tie itself.

    Args:
        scores (Tensor): Similarities ``S`` of the samples to the
            prototypes, shape (N, P), e.g. cosines.
        mask (Tensor, optional): Bool, shape (P, ): the usable prototypes
            (at least one); the others get no mass. None uses all.
            Defaults to None.
        epsilon (float): Entropic regularisation (> 0); smaller is closer
            to a hard assignment. Defaults to 0.05.
        num_iters (int): Column + row normalisation rounds (>= 1).
            Defaults to 3.

    Returns:
        Tensor: The plan scaled by N, float32, shape (N, P): rows sum to 1,
        column ``j`` sums to about ``N / P'``, zeros in masked columns.
    """
    if scores.dim() != 2:
        raise ValueError(
            f'scores must be (N, P), got {tuple(scores.shape)}')
    n, p = scores.shape
    if mask is None:
        mask = torch.ones(p, dtype=torch.bool, device=scores.device)
    if mask.dtype != torch.bool or mask.shape != (p, ) or not bool(
            mask.any()):
        raise ValueError(f'mask must be a bool ({p},) tensor with at least '
                         f'one True, got {mask.dtype} {tuple(mask.shape)}')
    if not epsilon > 0:
        raise ValueError(f'epsilon must be > 0, got {epsilon!r}')
    if isinstance(num_iters, bool) or not isinstance(num_iters,
                                                     int) or num_iters < 1:
        raise ValueError(
            f'num_iters must be a positive int, got {num_iters!r}')
    plan = scores.new_zeros(n, p, dtype=torch.float32)
    if n == 0:
        return plan
    log_q = scores.detach().float()[:, mask] / epsilon  # (N, P')
    log_cols, log_rows = math.log(log_q.size(1)), math.log(n)
    for _ in range(num_iters):
        # every prototype (column) gets 1 / P', then every sample 1 / N
        log_q = log_q - log_q.logsumexp(dim=0, keepdim=True) - log_cols
        log_q = log_q - log_q.logsumexp(dim=1, keepdim=True) - log_rows
    plan[:, mask] = (log_q + log_rows).exp()
    return plan
