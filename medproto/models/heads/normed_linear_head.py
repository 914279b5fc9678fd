# Copyright (c) medproto contributors. All rights reserved.
"""Cosine (normalised linear) classifier head, as used with LDAM."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class NormedLinearClsHead(ClsHead):
    """Logits ``cos(x_i, w_c) = x_i w_c^T / (||x_i|| ||w_c||)`` in [-1, 1].

    The classifier of the official LDAM-DRW code (Cao et al., NeurIPS 2019,
    ``NormedLinear``): no bias, features and class weights L2-normalised, the
    scale ``s`` applied by the loss (:class:`~medproto.models.losses.
    LDAMLoss`' ``scale``). ``predict`` turns ``score_scale * cos`` into
    softmax scores (the ranking of the classes, hence the top-1, does not
    depend on it); set it to the loss's ``scale`` for scores on the scale
    the model was trained at.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature size D.
        score_scale (float): Factor on the cosine logits of ``predict``
            (> 0). Defaults to 30.0 (LDAM's ``scale``).
        init_cfg (dict, optional): mmengine init config; the weight is
            initialised uniformly in ``[-1/sqrt(D), 1/sqrt(D)]`` otherwise.
        **kwargs: ``ClsHead``'s other arguments (``loss``, ``topk``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 score_scale: float = 30.0,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        for name, value in (('num_classes', num_classes),
                            ('in_channels', in_channels)):
            if isinstance(value, bool) or not isinstance(value,
                                                         int) or value <= 0:
                raise ValueError(f'NormedLinearClsHead: {name} must be a '
                                 f'positive int, got {value!r}')
        if isinstance(score_scale, bool) or not isinstance(
                score_scale, (int, float)) or score_scale <= 0:
            raise ValueError('NormedLinearClsHead: score_scale must be a '
                             f'number > 0, got {score_scale!r}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.score_scale = float(score_scale)
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        bound = 1.0 / math.sqrt(in_channels)
        nn.init.uniform_(self.weight, -bound, bound)

    def pre_logits(self, feats: Tuple[Tensor]) -> Tensor:
        """The last feature, shape (N, D)."""
        return feats[-1]

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Cosine logits, shape (N, C)."""
        x = F.normalize(self.pre_logits(feats), dim=1)
        return F.linear(x, F.normalize(self.weight, dim=1))

    def predict(self, feats: Tuple[Tensor], data_samples=None):
        """Softmax of ``score_scale * cos`` and the arg-max labels."""
        return self._get_predictions(self.score_scale * self(feats),
                                     data_samples)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, in_channels='
                f'{self.in_channels}, score_scale={self.score_scale}')
