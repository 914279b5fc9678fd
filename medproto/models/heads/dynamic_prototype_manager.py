# Copyright (c) medproto contributors. All rights reserved.
"""Prototype bank with momentum updates and variance-driven expansion."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..layers.sinkhorn import sinkhorn_knopp

_ASSIGNMENTS = ('nearest', 'sinkhorn')


def check_assigned_slots(assigned: Tensor, labels: Tensor,
                         active: Tensor) -> Tensor:
    """Check a prototype assignment and return it as int64 indices.

    Args:
        assigned (Tensor): Slot of each sample, shape (B, ), int.
        labels (Tensor): Class of each sample, shape (B, ).
        active (Tensor): Bool mask of the active slots, shape (K, M).

    Returns:
        Tensor: ``assigned`` as int64 on ``labels``' device, shape (B, ).

    Raises:
        ValueError: Unless every slot is an active prototype of its
            sample's class.
    """
    assigned = assigned.to(labels.device).long()
    if assigned.shape != labels.shape or bool(
            (assigned < 0).any() | (assigned >= active.size(1)).any()
    ) or not bool(active[labels, assigned].all()):
        raise ValueError('assigned must be (B,) slots of active prototypes'
                         f' of the samples\' classes (B = {len(labels)}), '
                         f'got {assigned.tolist()}')
    return assigned


@MODELS.register_module()
class DynamicPrototypeManager(nn.Module):
    """Per-class prototypes whose number grows with the class's spread.

    Holds ``max_prototypes`` slots per class (a learnable parameter
    ``prototypes`` of shape (K, M, D)) of which the first ``num_prototypes``
    start active. During training :meth:`update` (no gradient):

    1. assigns every sample to one *active* prototype of its true class
       (:meth:`assign`: the nearest, or with ``assignment='sinkhorn'`` a
       balanced assignment) and moves each prototype towards the mean of its
       assigned (L2-normalised) features: ``p <- normalize(mu * p + (1 - mu)
       * mean(z))`` (momentum ``mu``);
    2. tracks, per class, an EMA of the spread of the features around their
       prototypes, ``var_k = EMA(||z - p_assigned||^2)`` (``= 2 - 2 cos``);
    3. activates one more prototype of class ``k`` when ``var_k`` exceeds
       ``var_threshold`` after at least ``warmup_updates`` updates of that
       class since its last change, up to ``max_prototypes``. The new
       prototype starts at the spread-weighted mean of the class's batch
       features (those far from every prototype count most), and the class's
       statistics restart.

    Assignment. With ``'nearest'`` only the nearest prototype of a sample is
    updated, and the head's prototype loss pulls the same one; a prototype
    that starts nearest to a class's images keeps winning them, and the
    others get neither the EMA update nor the cluster / contrastive gradient
    (on PBC-LT100 one of 10 prototypes per class wins every image:
    docs/long_tail.md). With ``'sinkhorn'`` the samples of
    each class in the batch are assigned to the class's active prototypes
    by a few Sinkhorn-Knopp iterations on ``exp(cos / epsilon)``
    (:func:`medproto.models.layers.sinkhorn_knopp`) with an equipartition
    constraint, so that every active prototype gets about the same share,
    and each sample goes to the argmax of its row of the transport plan
    (SwAV, Caron et al., NeurIPS 2020; ProtoSeg, Zhou et al., CVPR 2022).
    Every active prototype of a class with at least as many samples in the
    batch as prototypes then receives samples, so no prototype stays dead
    and no re-seeding is needed. The equipartition is per batch and per
    process (on the local batch, before the statistics are summed): a class
    with one sample in the batch gets its nearest prototype (the plan is
    uniform then; ties of the plan go to the more similar prototype), and
    classes with fewer samples than prototypes use a fraction of their
    prototypes per step. Trained from scratch on PBC-LT100 (6 epochs) it
    spread the head classes over their prototypes but cost 19 points of
    top-1 over three seeds (docs/results.md): it is meant for features that
    are pretrained or trained for long.

    Statistics are summed over processes (:func:`mmengine.dist.all_reduce`),
    so every rank makes the same update. All state (``active``,
    ``running_var``, ``num_updates``) lives in buffers: it is saved in
    checkpoints and restored on resume.

    The parameter is modified in place by :meth:`update`; use
    :meth:`normalized_prototypes`, which clones it, in the forward pass so
    that the autograd graph never holds the parameter itself.

    Args:
        num_classes (int): Number of classes K.
        embed_dims (int): Prototype dimension D.
        num_prototypes (int): Active prototypes per class at start.
            Defaults to 5.
        max_prototypes (int): Slots per class M (>= ``num_prototypes``).
            Defaults to 10.
        momentum (float): Prototype EMA momentum ``mu`` in [0, 1); 0 snaps
            to the batch mean. The prototypes are also learned by gradient,
            and a fast EMA fights the gradient: it drags every prototype
            towards the current (early in training, barely separable)
            embeddings of its class every step. On PBC-LT100 (6 epochs,
            330 steps) ``mu = 0.9`` gave 71.8 % top-1 and ``mu = 0.999``
            82.0 % (docs/results_history.md). Defaults to 0.999 (MoCo's key
            momentum).
        var_momentum (float): Momentum of the spread EMA. Defaults to 0.9.
        var_threshold (float): Spread (squared distance of unit vectors,
            in [0, 4]) above which a class gets a new prototype. 0.5 means
            mean cosine 0.75 to the nearest prototype. Defaults to 0.5.
        warmup_updates (int): Updates of a class between two expansions.
            Defaults to 50.
        assignment (str): How samples are assigned to their class's
            prototypes: ``'nearest'`` or ``'sinkhorn'`` (balanced, see
            above). Defaults to ``'nearest'``.
        sinkhorn_epsilon (float): Entropic regularisation of ``'sinkhorn'``
            (> 0; applied to cosines). Defaults to 0.05 (SwAV).
        sinkhorn_iters (int): Sinkhorn-Knopp iterations (>= 1).
            Defaults to 3 (SwAV).
    """

    def __init__(self,
                 num_classes: int,
                 embed_dims: int,
                 num_prototypes: int = 5,
                 max_prototypes: int = 10,
                 momentum: float = 0.999,
                 var_momentum: float = 0.9,
                 var_threshold: float = 0.5,
                 warmup_updates: int = 50,
                 assignment: str = 'nearest',
                 sinkhorn_epsilon: float = 0.05,
                 sinkhorn_iters: int = 3) -> None:
        super().__init__()
        for name, value in (('num_classes', num_classes),
                            ('embed_dims', embed_dims),
                            ('num_prototypes', num_prototypes),
                            ('warmup_updates', warmup_updates),
                            ('sinkhorn_iters', sinkhorn_iters)):
            if isinstance(value, bool) or not isinstance(value,
                                                         int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        if not isinstance(max_prototypes, int) or \
                max_prototypes < num_prototypes:
            raise ValueError('max_prototypes must be an int >= num_prototypes'
                             f' ({num_prototypes}), got {max_prototypes!r}')
        for name, value in (('momentum', momentum), ('var_momentum',
                                                     var_momentum)):
            if not 0. <= value < 1.:
                raise ValueError(f'{name} must be in [0, 1), got {value!r}')
        if not 0. < var_threshold <= 4.:
            raise ValueError(
                f'var_threshold must be in (0, 4], got {var_threshold!r}')
        if assignment not in _ASSIGNMENTS:
            raise ValueError(f'assignment must be one of {_ASSIGNMENTS}, '
                             f'got {assignment!r}')
        if isinstance(sinkhorn_epsilon, bool) or not isinstance(
                sinkhorn_epsilon, (int, float)) or not sinkhorn_epsilon > 0:
            raise ValueError(
                f'sinkhorn_epsilon must be > 0, got {sinkhorn_epsilon!r}')
        self.num_classes = num_classes
        self.embed_dims = embed_dims
        self.num_prototypes = num_prototypes
        self.max_prototypes = max_prototypes
        self.momentum = float(momentum)
        self.var_momentum = float(var_momentum)
        self.var_threshold = float(var_threshold)
        self.warmup_updates = warmup_updates
        self.assignment = assignment
        self.sinkhorn_epsilon = float(sinkhorn_epsilon)
        self.sinkhorn_iters = sinkhorn_iters

        self.prototypes = nn.Parameter(
            torch.empty(num_classes, max_prototypes, embed_dims))
        active = torch.zeros(num_classes, max_prototypes, dtype=torch.bool)
        active[:, :num_prototypes] = True
        self.register_buffer('active', active)
        self.register_buffer('running_var', torch.zeros(num_classes))
        self.register_buffer('num_updates',
                             torch.zeros(num_classes, dtype=torch.long))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Random unit-norm prototypes (Xavier-uniform, then normalised)."""
        nn.init.xavier_uniform_(self.prototypes.view(-1, self.embed_dims))
        with torch.no_grad():
            self.prototypes.copy_(F.normalize(self.prototypes, dim=-1))

    @property
    def num_active(self) -> Tensor:
        """Tensor: Active prototypes per class, shape (K, ), int64."""
        return self.active.sum(dim=1)

    def normalized_prototypes(self) -> Tensor:
        """Unit-norm prototypes for the forward pass.

        Returns:
            Tensor: Shape (K, M, D), computed from a clone of the parameter
            (gradients still reach it), so that the in-place updates of
            :meth:`update` do not invalidate the autograd graph.
        """
        return F.normalize(self.prototypes.clone(), dim=-1)

    def _check_inputs(self, feats: Tensor, labels: Tensor) -> None:
        """Raise unless ``feats`` is (B, D) and ``labels`` (B, )."""
        if feats.dim() != 2 or feats.size(1) != self.embed_dims or \
                labels.shape != feats.shape[:1]:
            raise ValueError(
                f'feats must be (B, {self.embed_dims}) and labels (B,), got '
                f'{tuple(feats.shape)} and {tuple(labels.shape)}')

    def _own_similarities(self, feats: Tensor,
                          labels: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Unit features and their cosines to their class's prototypes.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``z`` (B, D) float, the unit
            prototypes (K, M, D) float (detached) and the cosines (B, M) to
            the prototypes of each sample's class, -2 at the inactive slots.
        """
        z = F.normalize(feats.detach().float(), dim=-1)
        protos = F.normalize(self.prototypes.detach().float(), dim=-1)
        sims = torch.einsum('bd,bmd->bm', z, protos[labels])
        return z, protos, sims.masked_fill(~self.active[labels], -2.)

    def _assign(self, sims: Tensor, labels: Tensor) -> Tensor:
        """Slot indices (B, ) from the masked own-class cosines (B, M)."""
        if self.assignment == 'nearest':
            return sims.argmax(dim=1)
        assigned = labels.new_empty(labels.shape)
        for c in labels.unique().tolist():
            rows = labels == c
            plan = sinkhorn_knopp(sims[rows], self.active[c],
                                  self.sinkhorn_epsilon, self.sinkhorn_iters)
            # the plan's argmax; near-ties (a uniform plan: one sample) go
            # to the more similar prototype
            top = plan.amax(dim=1, keepdim=True)
            tied = plan >= top * (1. - 1e-4)
            assigned[rows] = sims[rows].masked_fill(~tied, -3.).argmax(dim=1)
        return assigned

    @torch.no_grad()
    def assign(self, feats: Tensor, labels: Tensor) -> Tensor:
        """The prototype slot of its class that each sample is assigned to.

        ``'nearest'``: the most similar active prototype. ``'sinkhorn'``:
        per class in the batch, the argmax of a Sinkhorn-Knopp plan with
        equal shares for the class's active prototypes (see the class
        docstring), computed on this process's batch only.

        Args:
            feats (Tensor): Sample embeddings, shape (B, D) (normalised here).
            labels (Tensor): Class indices, shape (B, ).

        Returns:
            Tensor: Slot indices in ``[0, M)``, shape (B, ), int64, always of
            an active prototype of the sample's class.
        """
        self._check_inputs(feats, labels)
        return self._assign(self._own_similarities(feats, labels)[2], labels)

    @torch.no_grad()
    def update(self,
               feats: Tensor,
               labels: Tensor,
               assigned: Optional[Tensor] = None) -> Dict[str, int]:
        """EMA-update the assigned prototypes and expand spread-out classes.

        Args:
            feats (Tensor): Sample embeddings, shape (B, D) (normalised here).
            labels (Tensor): Class indices, shape (B, ).
            assigned (Tensor, optional): Slot of each sample, shape (B, ),
                e.g. from :meth:`assign` on the same batch (the head passes
                the one its loss used); None assigns here. Defaults to None.

        Returns:
            dict[str, int]: ``{'num_added': n}``, the prototypes activated.
        """
        self._check_inputs(feats, labels)
        k, m, d = self.prototypes.shape
        z, protos, sims = self._own_similarities(feats, labels)
        if assigned is None:
            best = self._assign(sims, labels)
        else:
            best = check_assigned_slots(assigned, labels, self.active)
        best_sim = sims.gather(1, best[:, None])[:, 0]
        slot = labels * m + best  # flat (k, m) index per sample
        spread = (2. - 2. * best_sim).clamp_min(0.)

        # Everything the update needs, summed over processes in one call.
        stats = z.new_zeros(k * m, d + 1)
        stats.index_add_(0, slot, torch.cat([z, z.new_ones(len(z), 1)], 1))
        cls = z.new_zeros(k, d + 2)
        cls.index_add_(0, labels,
                       torch.cat([spread[:, None] * z, spread[:, None],
                                  z.new_ones(len(z), 1)], 1))
        flat = torch.cat([stats.flatten(), cls.flatten()])
        all_reduce(flat)
        stats = flat[:stats.numel()].view(k * m, d + 1)
        cls = flat[stats.numel():].view(k, d + 2)

        # 1. Momentum update of the assigned prototypes.
        count = stats[:, d]
        hit = count > 0
        mean = F.normalize(stats[:, :d], dim=-1)
        flat_protos = protos.view(k * m, d)
        new = F.normalize(
            self.momentum * flat_protos + (1. - self.momentum) * mean, dim=-1)
        flat_protos = torch.where(hit[:, None], new, flat_protos)
        self.prototypes.copy_(flat_protos.view(k, m, d).to(self.prototypes))

        # 2. Spread EMA of the classes in the batch.
        n_cls = cls[:, d + 1]
        seen = n_cls > 0
        batch_var = cls[:, d] / n_cls.clamp_min(1.)
        updated = torch.where(
            self.num_updates > 0, self.var_momentum * self.running_var +
            (1. - self.var_momentum) * batch_var, batch_var)
        self.running_var.copy_(torch.where(seen, updated, self.running_var))
        self.num_updates.add_(seen.long())

        # 3. Expansion.
        grow = seen & (self.num_updates >= self.warmup_updates) & (
            self.running_var > self.var_threshold) & (
                self.num_active < self.max_prototypes)
        for c in grow.nonzero().flatten().tolist():
            free = int((~self.active[c]).nonzero()[0])
            init = cls[c, :d]
            if init.norm() <= 1e-6:  # all samples on a prototype
                init = stats.view(k, m, d + 1)[c, :, :d].sum(0)
            self.prototypes[c, free] = F.normalize(init, dim=0).to(
                self.prototypes)
            self.active[c, free] = True
            self.running_var[c] = 0.
            self.num_updates[c] = 0
        return dict(num_added=int(grow.sum()))

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, embed_dims='
                f'{self.embed_dims}, num_prototypes={self.num_prototypes}, '
                f'max_prototypes={self.max_prototypes}, momentum='
                f'{self.momentum}, var_threshold={self.var_threshold}, '
                f'assignment={self.assignment!r}')
