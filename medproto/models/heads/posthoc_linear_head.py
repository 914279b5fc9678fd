# Copyright (c) medproto contributors. All rights reserved.
"""Linear head with post-hoc logit adjustment and tau-normalisation."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..losses.class_priors import check_class_counts, check_number, log_prior

_OWNER = 'PostHocLinearClsHead'


@MODELS.register_module()
class PostHocLinearClsHead(LinearClsHead):
    """mmpretrain's ``LinearClsHead`` with two inference-time corrections.

    Training (``loss``) and ``forward`` are those of ``LinearClsHead``; only
    ``predict`` (validation, testing) changes, so a checkpoint of a
    ``LinearClsHead`` loads as it is and the corrections are test options
    (``--cfg-options model.head.logit_adjust_tau=1.0``):

    * tau-normalisation (``norm_tau > 0``, Kang et al., "Decoupling
      Representation and Classifier for Long-Tailed Recognition", ICLR
      2020, Sec. 4): the logits are ``x w_c^T / ||w_c||^norm_tau`` with the
      rows ``w_c`` of the classifier weight; the bias is left out, as in the
      paper's formula;
    * post-hoc logit adjustment (``logit_adjust_tau > 0``, Menon et al.,
      "Long-tail learning via logit adjustment", ICLR 2021, Eq. 9): ``tau *
      log pi_c`` is subtracted from the logits, ``pi`` the training-set class
      prior from ``class_counts``.

    With both set, tau-normalisation comes first. With both 0 (the default)
    the head equals ``LinearClsHead``.

    Args:
        num_classes (int): Number of classes C.
        in_channels (int): Feature size D.
        class_counts (Sequence[int], optional): Training samples per class;
            required for ``logit_adjust_tau > 0``. Defaults to None.
        logit_adjust_tau (float): Post-hoc adjustment scale, >= 0. Defaults
            to 0.
        norm_tau (float): tau-normalisation exponent, >= 0 (1 divides by the
            norm). Defaults to 0.
        **kwargs: ``LinearClsHead``'s other arguments (``loss``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 class_counts: Optional[Sequence[int]] = None,
                 logit_adjust_tau: float = 0.0,
                 norm_tau: float = 0.0,
                 **kwargs) -> None:
        super().__init__(num_classes=num_classes, in_channels=in_channels,
                         **kwargs)
        self.logit_adjust_tau = check_number(logit_adjust_tau,
                                             'logit_adjust_tau', _OWNER)
        self.norm_tau = check_number(norm_tau, 'norm_tau', _OWNER)
        prior = torch.zeros(num_classes)
        if class_counts is not None:
            counts = check_class_counts(class_counts, _OWNER)
            if len(counts) != num_classes:
                raise ValueError(f'{_OWNER}: class_counts has {len(counts)} '
                                 f'entries, num_classes is {num_classes}')
            prior = log_prior(counts)
        elif self.logit_adjust_tau > 0:
            raise ValueError(f'{_OWNER}: logit_adjust_tau > 0 needs '
                             'class_counts (training samples per class)')
        self.register_buffer('log_prior', prior, persistent=False)

    def inference_logits(self, feats: Tuple[Tensor]) -> Tensor:
        """The corrected logits that ``predict`` turns into scores.

        Args:
            feats (tuple[Tensor]): Backbone / neck outputs; the last is the
                (N, D) feature.

        Returns:
            Tensor: Shape (N, C).
        """
        x = self.pre_logits(feats)
        if self.norm_tau > 0:
            weight = self.fc.weight
            norms = weight.norm(dim=1, keepdim=True).clamp_min(1e-12)
            logits = F.linear(x, weight / norms.pow(self.norm_tau))
        else:
            logits = self.fc(x)
        if self.logit_adjust_tau > 0:
            logits = logits - self.logit_adjust_tau * self.log_prior.to(
                logits)
        return logits

    def predict(self,
                feats: Tuple[Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Predictions from :meth:`inference_logits` (softmax scores and
        labels), as ``LinearClsHead.predict`` makes them from ``forward``."""
        return self._get_predictions(self.inference_logits(feats),
                                     data_samples)

    def extra_repr(self) -> str:
        return (f'logit_adjust_tau={self.logit_adjust_tau}, '
                f'norm_tau={self.norm_tau}')
