# Copyright (c) medproto contributors. All rights reserved.
"""Logit distillation for single-channel (sigmoid) segmentation outputs."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import check_positive, check_same_shape, kl_div_with_temperature


def sigmoid_to_two_class_logits(logits: Tensor) -> Tensor:
    """``(N, 1, ...)`` logits ``z`` -> ``(N, 2, ...)`` logits ``[z, 0]``.

    ``softmax([z, 0]) = [sigmoid(z), 1 - sigmoid(z)]``, also after dividing
    by a temperature.
    """
    return torch.cat([logits, torch.zeros_like(logits)], dim=1)


@MODELS.register_module()
class BinaryKDLoss(BaseDistillLoss):
    """Per-pixel KD between foreground/background distributions.

    For single-channel logits ``z`` the per-pixel distribution is
    ``q = [sigmoid(z / tau), 1 - sigmoid(z / tau)]`` and
    ``L = tau^2 * mean_pixels KL(q_T || q_S)`` (Hinton et al. 2015 applied
    to a binary output). Inputs with C >= 2 channels use
    ``softmax(z / tau)`` over the channels instead.

    MicroAUNet's public ``train.py`` (JeremyXSC/MicroAUNet) takes a softmax
    over the channel dim of its 1-channel *sigmoid probability* map: that
    softmax is identically 1, so its KL term is always 0 with no gradient.
    This loss fixes both issues (two-class distribution, built from logits).

    Args:
        tau (float): Temperature (> 0). Defaults to 1.0.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.tau = check_positive('tau', tau)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits (pre-sigmoid / pre-softmax),
                (N, C, H, W) or (N, C), C = 1 or C >= 2.
            preds_T (Tensor): Teacher logits, same shape; detached here.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(preds_S, preds_T, type(self).__name__)
        if preds_S.dim() < 2:
            raise ValueError('BinaryKDLoss needs logits (N, C, ...), got '
                             f'shape {tuple(preds_S.shape)}')
        preds_T = preds_T.detach()
        if preds_S.size(1) == 1:
            return self.loss_weight * binary_kl_mean(preds_S, preds_T,
                                                     self.tau)
        kl = kl_div_with_temperature(preds_S, preds_T, self.tau)
        return self.loss_weight * kl.mean()

    def extra_repr(self) -> str:
        return f'tau={self.tau}, {super().extra_repr()}'


class _BinaryKLMean(torch.autograd.Function):
    """``tau^2 * mean KL([q_T, 1 - q_T] || [q_S, 1 - q_S])`` with
    ``q = sigmoid(z / tau)``, in closed form.

    With ``u = z_S / tau``, ``v = z_T / tau`` and ``log(1 - sigmoid(x)) =
    logsigmoid(-x)``, the two-class KL of a pixel is
    ``sigmoid(v) (v - u) + logsigmoid(-v) - logsigmoid(-u)`` and its
    derivative in ``z_S`` is ``(sigmoid(u) - sigmoid(v)) / tau``: one map
    saved for the backward pass, instead of the concatenated (N, 2, ...)
    logits, two log-softmaxes and the KL map of the general path (and
    their autograd passes).
    """

    @staticmethod
    def forward(ctx, logits_S: Tensor, logits_T: Tensor,
                tau: float) -> Tensor:
        u = logits_S / tau
        v = logits_T / tau
        p_T = torch.sigmoid(v)
        kl = p_T * (v - u)
        kl += F.logsigmoid(-v)
        kl -= F.logsigmoid(-u)
        ctx.save_for_backward(torch.sigmoid(u).sub_(p_T))
        ctx.tau = tau
        return kl.sum() * (tau**2 / kl.numel())

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None, None]:
        diff, = ctx.saved_tensors
        return diff * (grad * (ctx.tau / diff.numel())), None, None


def binary_kl_mean(logits_S: Tensor, logits_T: Tensor, tau: float) -> Tensor:
    """The mean over pixels of ``tau^2 * kl_div_with_temperature`` of the
    two-class logits ``[z, 0]`` of single-channel logits, gradient for
    ``logits_S`` only.

    The same value and gradient within float rounding as
    ``kl_div_with_temperature(sigmoid_to_two_class_logits(logits_S),
    sigmoid_to_two_class_logits(logits_T), tau).mean()``, in about half
    its CPU time (see :class:`_BinaryKLMean`).

    Args:
        logits_S (Tensor): Student logits, (N, 1, ...).
        logits_T (Tensor): Teacher logits, same shape; a constant.
        tau (float): Temperature (> 0).

    Returns:
        Tensor: The scalar mean.
    """
    return _BinaryKLMean.apply(logits_S, logits_T.detach(), float(tau))
