# Copyright (c) medproto contributors. All rights reserved.
"""Multi-prototype cosine classifier head."""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.evaluation import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from ..layers.layout import nchw_to_tokens
from ..losses.class_balanced_loss import class_balanced_weights

_POOLINGS = ('max', 'softmax')
_NEG = -1e4


@MODELS.register_module()
class MultiPrototypeHead(ClsHead):
    """Classify by cosine similarity to several learnable prototypes a class.

    ``feats[-1]`` is the last backbone map (B, C, H, W) -- use no neck (or an
    identity): the head pools it itself, projects the pooled vector to the
    embedding ``z`` (Linear -> LN -> Dropout) and, with ``attention``, the
    H*W tokens with the same projection so that a
    :class:`MixedAttentionBlock` refines the prototypes per image. A pooled
    (B, C) input also works when ``attention=None``.

    ``s[b, k, m] = cos(z_b, p_{k, m})`` over the *active* prototypes of a
    :class:`DynamicPrototypeManager`; the class score pools the ``m`` axis
    (``'max'``, or ``'softmax'``: ``sum_m softmax(s / t)_m s_m``) and the
    logits are ``tau * score`` with a learnable temperature ``tau`` (stored
    as ``log tau``, init 10, capped at 100).

    Training loss: the classification loss on the logits (``loss``, e.g.
    ``ClassBalancedCrossEntropyLoss``) plus the :class:`BalancedPrototypeLoss`
    terms, whose cluster term is weighted by class-balanced weights of the
    *training-set* counts ``class_counts`` (Cui et al., CVPR 2019; effective
    number with ``cb_beta``), not of the batch. The two are combined by
    learned uncertainty weights (Kendall et al., CVPR 2018,
    ``medproto.UncertaintyWeighting``) or, with ``loss_weighting=None``,
    simply added. In training mode every loss call also EMA-updates and
    possibly expands the prototypes (:meth:`DynamicPrototypeManager.update`).

    With ``prototype_manager=dict(assignment='sinkhorn')`` every loss call
    first assigns the samples of each class to the class's prototypes in
    equal shares (:meth:`DynamicPrototypeManager.assign`, Sinkhorn-Knopp as
    in SwAV and ProtoSeg, on the embedding and the bank's prototypes); that
    slot is the positive of the cluster and contrastive terms and the one
    the EMA update moves, so every active prototype gets samples and
    gradient instead of the nearest one taking all (with ``'nearest'``, the
    default, the positive is the nearest prototype). The class logits (the
    max / softmax pooling, for the classification loss and at inference)
    do not depend on the assignment.

    Recording points: :meth:`loss` does not go through :meth:`forward`, so
    a hook on the head itself sees nothing in training. The identity
    modules ``embed_tap`` (output: the embedding ``z``, (B, D)) and
    ``logits_tap`` (output: the logits, (B, K)) run in every mode, like
    timm's identity hook points; a distiller records ``'head.embed_tap'``
    and ``'head.logits_tap'``. (``proj`` is no such point: with
    ``attention`` it also projects the tokens, after ``z``.) They hold no
    parameters, so checkpoints are unchanged.

    Args:
        num_classes (int): Number of classes K.
        in_channels (int): Channels C of the input map.
        embed_dims (int): Embedding / prototype dimension D. Defaults to 256.
        num_prototypes (int): Active prototypes per class at start.
            Defaults to 5.
        max_prototypes (int): Prototype slots per class. Defaults to 10.
        pooling (str): ``'max'`` or ``'softmax'`` over a class's prototypes.
            Defaults to ``'max'``.
        pooling_temperature (float): Temperature of ``'softmax'`` pooling.
            Defaults to 0.1.
        init_logit_scale (float): Initial temperature ``tau``. Defaults to 10.
        dropout (float): Dropout after the projection. Defaults to 0.1.
        attention (dict, optional): :class:`MixedAttentionBlock` config
            (``embed_dims`` is filled in); None disables it. Defaults to
            ``dict(type='MixedAttentionBlock', num_heads=4)``.
        prototype_manager (dict): Extra :class:`DynamicPrototypeManager`
            arguments (``momentum``, ``var_threshold``, ``assignment``,
            ...).
            Defaults to ``dict()``.
        proto_loss (dict, optional): :class:`BalancedPrototypeLoss` config;
            None trains with the classification loss only. Defaults to
            ``dict(type='BalancedPrototypeLoss')``.
        class_counts (Sequence[int], optional): Training samples per class
            for the class-balanced cluster weights; None weights classes
            equally. Defaults to None.
        cb_beta (float): Effective-number beta. Defaults to 0.9999.
        loss_weighting (dict, optional): Config of a medproto loss weighting
            module taking ``names``; None adds the losses. Defaults to
            ``dict(type='medproto.UncertaintyWeighting')``.
        loss (dict): Classification loss config. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): Top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): Log the training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to
            truncated-normal (std 0.02) linears.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 embed_dims: int = 256,
                 num_prototypes: int = 5,
                 max_prototypes: int = 10,
                 pooling: str = 'max',
                 pooling_temperature: float = 0.1,
                 init_logit_scale: float = 10.,
                 dropout: float = 0.1,
                 attention: Optional[dict] = dict(
                     type='MixedAttentionBlock', num_heads=4),
                 prototype_manager: dict = dict(),
                 proto_loss: Optional[dict] = dict(
                     type='BalancedPrototypeLoss'),
                 class_counts: Optional[Sequence[int]] = None,
                 cb_beta: float = 0.9999,
                 loss_weighting: Optional[dict] = dict(
                     type='medproto.UncertaintyWeighting'),
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 topk: Union[int, Tuple[int]] = (1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = dict(
                     type='TruncNormal', layer='Linear', std=.02, bias=0.)):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes),
                            ('in_channels', in_channels),
                            ('embed_dims', embed_dims)):
            if isinstance(value, bool) or not isinstance(value,
                                                         int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        if pooling not in _POOLINGS:
            raise ValueError(
                f'pooling must be one of {_POOLINGS}, got {pooling!r}')
        if not pooling_temperature > 0 or not init_logit_scale > 0:
            raise ValueError('pooling_temperature and init_logit_scale must '
                             f'be > 0, got {pooling_temperature!r} and '
                             f'{init_logit_scale!r}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.pooling = pooling
        self.pooling_temperature = float(pooling_temperature)

        self.proj = nn.Sequential(
            nn.Linear(in_channels, embed_dims), nn.LayerNorm(embed_dims),
            nn.Dropout(dropout))
        self.log_logit_scale = nn.Parameter(
            torch.tensor(math.log(init_logit_scale)))
        self.prototype_manager = MODELS.build(
            dict(
                prototype_manager,
                type='DynamicPrototypeManager',
                num_classes=num_classes,
                embed_dims=embed_dims,
                num_prototypes=num_prototypes,
                max_prototypes=max_prototypes))
        self.attention = None if attention is None else MODELS.build(
            dict(attention, embed_dims=embed_dims))
        self.proto_loss = None if proto_loss is None else MODELS.build(
            proto_loss)
        weights = (
            torch.ones(num_classes) if class_counts is None else
            class_balanced_weights(class_counts, cb_beta))
        if weights.numel() != num_classes:
            raise ValueError(f'class_counts needs {num_classes} entries, got '
                             f'{len(class_counts)}')
        # Derived from the config, so kept out of checkpoints.
        self.register_buffer('class_weights', weights, persistent=False)
        self.loss_weighting = None
        if loss_weighting is not None and self.proto_loss is not None:
            self.loss_weighting = MODELS.build(
                dict(
                    copy.deepcopy(loss_weighting),
                    names=['loss_cls', 'loss_proto']))
        groups = torch.arange(num_classes).repeat_interleave(max_prototypes)
        self.register_buffer('groups', groups, persistent=False)
        # Recording points for distillers (see the class docstring).
        self.embed_tap = nn.Identity()
        self.logits_tap = nn.Identity()

    @property
    def logit_scale(self) -> Tensor:
        """Tensor: The temperature ``tau`` (scalar, at most 100)."""
        return self.log_logit_scale.exp().clamp(max=100.)

    def _embed(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        """Project the pooled feature and, with attention, the tokens."""
        x = feats[-1]
        if x.dim() == 4 and x.size(1) == self.in_channels:
            tokens = nchw_to_tokens(x)  # (B, H*W, C)
            pooled = tokens.mean(dim=1)
        elif x.dim() == 2 and x.size(1) == self.in_channels:
            tokens, pooled = None, x
        else:
            raise ValueError(f'MultiPrototypeHead expects feats[-1] of shape '
                             f'(B, {self.in_channels}, H, W) or (B, '
                             f'{self.in_channels}), got {tuple(x.shape)}')
        if self.attention is not None and tokens is None:
            raise ValueError('attention needs the (B, C, H, W) map: use no '
                             'neck (not GlobalAveragePooling) with this head')
        z = self.embed_tap(self.proj(pooled))
        tokens = None if self.attention is None else self.proj(tokens)
        return z, tokens

    def pre_logits(self, feats: Tuple[Tensor]) -> Tensor:
        """The embedding ``z`` before the prototype comparison.

        Args:
            feats (tuple[Tensor]): Backbone / neck outputs; the last one is
                used, (B, C, H, W) or (B, C).

        Returns:
            Tensor: Embeddings, shape (B, D).
        """
        return self._embed(feats)[0]

    def similarities(self,
                     feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Cosine similarities to every prototype slot.

        Args:
            feats (tuple[Tensor]): Backbone / neck outputs.

        Returns:
            tuple[Tensor, Tensor, Tensor]: The embeddings ``z`` (B, D), the
            similarities ``s`` (B, K, M) (inactive slots included; mask them
            with ``prototype_manager.active``) and the unit-norm shared
            prototypes (K, M, D).
        """
        z, tokens = self._embed(feats)
        z_unit = F.normalize(z, dim=-1)
        protos = self.prototype_manager.normalized_prototypes()
        k, m, d = protos.shape
        if self.attention is None:
            sims = torch.einsum('bd,kmd->bkm', z_unit, protos)
        else:
            refined = self.attention(
                protos.reshape(k * m, d), tokens, self.groups,
                self.prototype_manager.active.flatten())
            refined = F.normalize(refined, dim=-1).view(-1, k, m, d)
            sims = torch.einsum('bd,bkmd->bkm', z_unit, refined)
        return z, sims, protos

    def _logits(self, sims: Tensor) -> Tensor:
        """Pool the active prototypes of each class and scale."""
        masked = sims.masked_fill(~self.prototype_manager.active, _NEG)
        if self.pooling == 'max':
            score = masked.amax(dim=-1)
        else:
            attn = (masked / self.pooling_temperature).softmax(dim=-1)
            score = (attn * sims).sum(dim=-1)
        return self.logits_tap(self.logit_scale * score)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Class logits.

        Args:
            feats (tuple[Tensor]): Backbone / neck outputs.

        Returns:
            Tensor: Logits, shape (B, K).
        """
        return self._logits(self.similarities(feats)[1])

    def loss(self, feats: Tuple[Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Compute the losses and, in training, update the prototypes.

        Args:
            feats (tuple[Tensor]): Backbone / neck outputs.
            data_samples (list[DataSample]): Samples with ``gt_label``.
            **kwargs: Passed to the classification loss.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and ``loss_proto`` (weighted,
            summed by mmengine), the detached prototype terms and, with
            uncertainty weighting, the log-variances; ``accuracy_top-k``
            with ``cal_acc``.
        """
        if 'gt_score' in data_samples[0]:
            raise ValueError('MultiPrototypeHead needs hard labels; batch '
                             'augmentations that make gt_score (Mixup, '
                             'CutMix) are not supported')
        target = torch.cat([s.gt_label for s in data_samples]).to(
            self.class_weights.device)
        z, sims, protos = self.similarities(feats)
        cls_score = self._logits(sims)
        losses = {
            'loss_cls':
            self.loss_module(
                cls_score, target, avg_factor=cls_score.size(0), **kwargs)
        }
        assigned = None  # 'nearest': the loss and the update take the max
        if self.prototype_manager.assignment != 'nearest':
            assigned = self.prototype_manager.assign(z.detach(), target)
        if self.proto_loss is not None:
            terms = self.proto_loss(
                sims,
                target,
                self.prototype_manager.active,
                protos,
                self.class_weights,
                assigned=assigned)
            losses['loss_proto'] = sum(terms.values())
            losses.update(
                {f'proto_{k}': v.detach()
                 for k, v in terms.items()})
        if self.loss_weighting is not None:
            losses = self.loss_weighting(losses)[1]
        if self.cal_acc:
            acc = Accuracy.calculate(cls_score, target, topk=self.topk)
            losses.update(
                {f'accuracy_top-{k}': a
                 for k, a in zip(self.topk, acc)})
        if self.training:
            self.prototype_manager.update(
                z.detach(), target, assigned=assigned)
        losses['num_prototypes'] = self.prototype_manager.num_active.sum(
        ).float()
        return losses
