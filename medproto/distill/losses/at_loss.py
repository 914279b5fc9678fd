# Copyright (c) medproto contributors. All rights reserved.
"""Attention transfer (Zagoruyko & Komodakis, ICLR 2017)."""
import torch.nn.functional as F
from torch import Tensor

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import TensorOrList, check_positive, paired_tensor_lists


@MODELS.register_module()
class ATLoss(BaseDistillLoss):
    """Match spatial attention maps of student and teacher features.

    ``A(F) = normalize_2(vec(mean_c F_c^p))`` and
    ``L = sum_pairs mean_{n,i}((A(F_S) - A(F_T))^2)`` (Zagoruyko &
    Komodakis, "Paying More Attention to Attention", ICLR 2017; mdistiller
    defaults p=2, weight 1000). Channel counts may differ. When the spatial
    sizes differ the larger feature is adaptive-average-pooled to the
    smaller size before the attention map is taken, as in mdistiller.

    Args:
        p (float): Power applied to the activations (> 0). Defaults to 2.
        loss_weight (float): Factor applied to the loss. Defaults to 1000.0.
    """

    def __init__(self, p: float = 2, loss_weight: float = 1000.0) -> None:
        super().__init__(loss_weight)
        self.p = check_positive('p', p)

    def attention_map(self, feat: Tensor) -> Tensor:
        """``A(F)``: (N, C, H, W) -> L2-normalised (N, H * W)."""
        return F.normalize(feat.pow(self.p).mean(dim=1).flatten(1), dim=1)

    def forward(self, feat_S: TensorOrList, feat_T: TensorOrList) -> Tensor:
        """Compute the loss, summed over the given feature pairs.

        Args:
            feat_S (Tensor | Sequence[Tensor]): Student feature(s),
                each (N, C_S, H_S, W_S).
            feat_T (Tensor | Sequence[Tensor]): Teacher feature(s), each
                (N, C_T, H_T, W_T); detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        loss = 0.0
        for s, t in paired_tensor_lists(feat_S, feat_T, type(self).__name__):
            if s.dim() != 4 or t.dim() != 4 or s.size(0) != t.size(0):
                raise ValueError('ATLoss needs (N, C, H, W) features with the '
                                 f'same N, got {tuple(s.shape)} and '
                                 f'{tuple(t.shape)}')
            size = (min(s.size(2), t.size(2)), min(s.size(3), t.size(3)))
            if s.shape[2:] != size:
                s = F.adaptive_avg_pool2d(s, size)
            if t.shape[2:] != size:
                t = F.adaptive_avg_pool2d(t, size)
            diff = self.attention_map(s) - self.attention_map(t)
            loss = loss + diff.pow(2).mean()
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'p={self.p}, {super().extra_repr()}'
