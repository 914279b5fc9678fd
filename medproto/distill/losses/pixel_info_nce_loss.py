# Copyright (c) medproto contributors. All rights reserved.
"""Pixel-level InfoNCE between student and teacher embeddings."""
import math
from typing import TYPE_CHECKING, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from medproto.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .utils import (check_positive, check_positive_int, check_same_shape,
                    zero_loss)

if TYPE_CHECKING:  # the distiller imports the losses' package
    from medproto.distill.distillers.inputs import PixelwiseMap


@MODELS.register_module()
class PixelInfoNCELoss(BaseDistillLoss):
    """InfoNCE with the teacher's same-pixel embedding as the positive.

    Per image, up to K foreground and K background pixels are drawn at
    random from the ground-truth mask (resized to the embedding size with
    nearest interpolation). With ``s_i`` / ``t_i`` the L2-normalised student
    / teacher embeddings of sampled pixel ``i`` and ``N(i)`` the sampled
    pixels of the other class (from the whole batch)::

        L_i = -log( exp(s_i.t_i / tau) /
                    (exp(s_i.t_i / tau) + sum_{j in N(i)} exp(s_i.t_j / tau)) )

    ``L`` is the mean of ``L_i`` over the anchors that have negatives; it is
    a graph-connected 0 when no sampled pixel has one (e.g. a batch without
    foreground), never NaN. This is the contrastive objective of Oord et
    al. 2018 (InfoNCE) applied across models as in CRD (Tian et al. 2020),
    at pixel level.

    It replaces MicroAUNet's ``ContrastiveLoss`` (JeremyXSC/MicroAUNet
    ``train.py``), which contrasts ``normalize(softmax_c(S / tau))`` of a
    1-channel output: every such vector equals 1, so that loss is a
    constant with zero gradient, and the teacher output it receives is
    unused.

    Args:
        tau (float): Temperature (> 0). Defaults to 0.1.
        num_samples (int): K, the most pixels drawn per class and image.
            Defaults to 256.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
        seed (int, optional): Seed of the private CPU ``torch.Generator``
            used for the pixel sampling; when None it is drawn from torch's
            global generator at construction (so it follows the run's
            seed). The generator is an attribute, so
            :class:`~medproto.engine.hooks.RngStateHook` checkpoints its
            state and a resumed run samples the same pixels. Defaults to
            None.

    ``embed_S`` is read only at the sampled pixels, so the distiller may
    pass a :class:`~medproto.distill.distillers.inputs.PixelwiseMap`
    (``pixelwise_inputs``): a connector in front of it (e.g. the 1x1 conv +
    BatchNorm to the teacher's channels) then computes those pixels only,
    with the same values and gradients.
    """

    #: Arguments that may be a PixelwiseMap instead of a tensor.
    pixelwise_inputs = ('embed_S', )

    def __init__(self,
                 tau: float = 0.1,
                 num_samples: int = 256,
                 loss_weight: float = 1.0,
                 seed: Optional[int] = None) -> None:
        super().__init__(loss_weight)
        self.tau = check_positive('tau', tau)
        self.num_samples = check_positive_int('num_samples', num_samples)
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, int)):
            raise ValueError(f'seed must be None or an int, got {seed!r}')
        if seed is None:
            seed = int(torch.randint(2**62, ()).item())
        self.generator = torch.Generator().manual_seed(seed)

    def sample_pixels(self, fg_mask: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Draw up to K foreground and K background pixels per image.

        Args:
            fg_mask (Tensor): Boolean foreground mask, (N, h, w).

        Returns:
            tuple[Tensor, Tensor, Tensor]: Image index, flat pixel index and
            class (1 = foreground) of every sampled pixel, each (M,), on
            the CPU.
        """
        flat = fg_mask.flatten(1).cpu()
        batch_idx, pixel_idx, labels = [], [], []
        for n in range(flat.size(0)):
            for label in (1, 0):
                candidates = torch.nonzero(flat[n] == bool(label)).flatten()
                order = torch.randperm(
                    candidates.numel(), generator=self.generator)
                chosen = candidates[order[:self.num_samples]]
                batch_idx.append(torch.full_like(chosen, n))
                pixel_idx.append(chosen)
                labels.append(torch.full_like(chosen, label))
        return torch.cat(batch_idx), torch.cat(pixel_idx), torch.cat(labels)

    def forward(self, embed_S: Union[Tensor, 'PixelwiseMap'],
                embed_T: Tensor, gt_mask: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            embed_S (Tensor | PixelwiseMap): Student pixel embeddings,
                (N, D, h, w).
            embed_T (Tensor): Teacher pixel embeddings, (N, D, h, w);
                detached here.
            gt_mask (Tensor): Binary ground truth in {0, 1}, (N, 1, H, W)
                or (N, H, W), any size.

        Returns:
            Tensor: The weighted scalar loss.
        """
        check_same_shape(embed_S, embed_T, type(self).__name__)
        if embed_S.dim() != 4:
            raise ValueError('PixelInfoNCELoss needs (N, D, h, w) embeddings,'
                             f' got {tuple(embed_S.shape)}')
        if gt_mask.dim() == 3:
            gt_mask = gt_mask[:, None]
        if gt_mask.dim() != 4 or gt_mask.shape[:2] != (embed_S.size(0), 1):
            raise ValueError(f'gt_mask must be (N={embed_S.size(0)}, 1, H, W)'
                             f' or (N, H, W), got {tuple(gt_mask.shape)}')
        fg_mask = F.interpolate(
            gt_mask.float(), size=embed_S.shape[-2:], mode='nearest')[:, 0]
        batch_idx, pixel_idx, labels = self.sample_pixels(fg_mask > 0.5)
        device = embed_S.device
        batch_idx, pixel_idx, labels = (batch_idx.to(device),
                                        pixel_idx.to(device),
                                        labels.to(device))
        fg = labels == 1
        if not fg.any() or fg.all():
            if isinstance(embed_S, Tensor):
                return zero_loss(embed_S)
            return embed_S.zero()
        # (N, D, h * w) indexed at (n, :, p) -> (M, D)
        if isinstance(embed_S, Tensor):
            anchors = embed_S.flatten(2)[batch_idx, :, pixel_idx]
        else:
            anchors = embed_S.at(batch_idx, pixel_idx)
        anchors = F.normalize(anchors, dim=1)
        keys = F.normalize(
            embed_T.detach().flatten(2)[batch_idx, :, pixel_idx], dim=1)
        # The negatives of an anchor are all sampled pixels of the *other*
        # class, so the (M, M) similarity matrix is never needed: per class,
        # one (M_c, M_other) block, and log(exp(pos) + sum exp(neg)) as
        # logaddexp(pos, logsumexp(neg)). 4-10x cheaper than the masked
        # full matrix at M = 4096, same value. The unit vectors bound the
        # similarities by 1 / tau, so exp() needs no shift for tau >= 0.03.
        terms = []
        for own in (fg, ~fg):
            a, k, k_other = anchors[own], keys[own], keys[~own]
            pos = (a * k).sum(dim=1) / self.tau
            lse_neg = logsumexp_of_products(a / self.tau, k_other,
                                            bound=1.0 / self.tau)
            terms.append(torch.logaddexp(pos, lse_neg) - pos)
        loss = torch.cat(terms).mean()
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, num_samples={self.num_samples}, '
                f'{super().extra_repr()}')


class _LogSumExpOfProducts(torch.autograd.Function):
    """``logsumexp(a @ k.T, dim=1)`` with the (M, M') block built once.

    Forward: one GEMM, the exponential in place, a row sum (plus a row
    maximum and a subtraction when the values need a shift). Backward: the
    gradient with respect to ``a`` is ``softmax(a @ k.T) @ k``, that is
    ``(E @ k) / rowsum(E)`` with the saved ``E = exp(a @ k.T - shift)``:
    one GEMM and no further pass over the block (autograd's ``logsumexp``
    makes about ten, half of them allocating an (M, M') tensor). ``k``
    gets no gradient.
    """

    @staticmethod
    def forward(ctx, a: Tensor, k: Tensor, shifted: bool) -> Tensor:
        # (D, M') contiguous: with D = 8 the transposed-operand GEMM is ~7x
        # slower on CPU than a copy plus a plain one.
        block = a @ k.t().contiguous()
        offset = None
        if shifted:
            offset = block.amax(dim=1, keepdim=True)
            block.sub_(offset)
        block.exp_()
        total = block.sum(dim=1)
        ctx.save_for_backward(block, total, k)
        out = total.log()
        return out if offset is None else out + offset[:, 0]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        block, total, k = ctx.saved_tensors
        return (grad / total)[:, None] * (block @ k), None, None


def logsumexp_of_products(a: Tensor, k: Tensor,
                          bound: Optional[float] = None) -> Tensor:
    """``torch.logsumexp(a @ k.T, dim=1)``, differentiable in ``a`` only.

    Equal to the autograd expression within float rounding, at about a
    third of its CPU time for (2048, 8..16) operands (one GEMM and two
    passes over the (M, M') block forward, one GEMM backward).

    Args:
        a (Tensor): (M, D) rows; gets the gradient.
        k (Tensor): (M', D) rows, M' >= 1; treated as a constant.
        bound (float, optional): A known bound ``|a_i . k_j| <= bound``
            (e.g. ``1 / tau`` for unit vectors divided by ``tau``). When
            ``exp(-bound)``, ``exp(bound)`` and a row sum of M' such values
            are far inside the dtype's normal range (bound <= 34.9 for
            float32), no shift is needed and the row maximum is not
            computed; otherwise (or when None) each row is shifted by its
            maximum, as ``torch.logsumexp`` does. Defaults to None.

    Returns:
        Tensor: (M,) log-sum-exp of each row of ``a @ k.T``.
    """
    if a.dim() != 2 or k.dim() != 2 or a.size(1) != k.size(1) \
            or k.size(0) < 1:
        raise ValueError('logsumexp_of_products needs (M, D) and (M\', D) '
                         f'with M\' >= 1, got {tuple(a.shape)} and '
                         f'{tuple(k.shape)}')
    shifted = True
    if bound is not None and a.dtype.is_floating_point:
        # float32: exp(+-34.9) are normal numbers, and log of a row sum
        # of M' values up to exp(bound) stays below 0.9 * log(max) = 79.9
        info = torch.finfo(a.dtype)
        bound = float(bound)
        shifted = not (0 <= bound <= 0.4 * -math.log(info.tiny) and
                       bound + math.log(k.size(0)) <= 0.9 * math.log(
                           info.max))
    return _LogSumExpOfProducts.apply(a, k.detach(), shifted)
