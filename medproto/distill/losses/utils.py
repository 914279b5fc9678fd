# Copyright (c) medproto contributors. All rights reserved.
"""Helpers shared by the distillation losses and connectors.

Nothing here is registered: the helpers validate constructor arguments, bring
inputs into a canonical form, compute the temperature-scaled KL divergence
that several logit losses share, and turn the training progress into a
warm-up factor.
"""
from numbers import Real
from typing import (Any, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import torch.nn.functional as F
from torch import Tensor

TensorOrList = Union[Tensor, Sequence[Tensor]]

#: Connectors that map a student feature onto the teacher's shape; quoted in
#: shape-mismatch errors.
CONNECTOR_HINT = ('map the student feature onto the teacher shape with a '
                  'connector (medproto.Conv1x1Connector for channels, '
                  'medproto.ResizeConnector for the spatial size, '
                  'medproto.ConvRegConnector for both)')


def check_positive(name: str, value: Any) -> float:
    """Return ``value`` as a float after checking that it is a number > 0.

    Args:
        name (str): Argument name used in the error message.
        value (Any): The value to check.

    Returns:
        float: ``float(value)``.
    """
    if isinstance(value, bool) or not isinstance(value, Real) or value <= 0:
        raise ValueError(f'{name} must be a number > 0, got {value!r}')
    return float(value)


def check_non_negative(name: str, value: Any) -> float:
    """Return ``value`` as a float after checking that it is a number >= 0.

    Args:
        name (str): Argument name used in the error message.
        value (Any): The value to check.

    Returns:
        float: ``float(value)``.
    """
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
        raise ValueError(f'{name} must be a number >= 0, got {value!r}')
    return float(value)


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` after checking that it is an int >= 1.

    Args:
        name (str): Argument name used in the error message.
        value (Any): The value to check.

    Returns:
        int: ``value``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{name} must be an int >= 1, got {value!r}')
    return value


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` after checking that it is one of ``choices``.

    Args:
        name (str): Argument name used in the error message.
        value (Any): The value to check.
        choices (Iterable): The allowed values.

    Returns:
        Any: ``value``.
    """
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
    return value


def check_warmup(warmup_iters: Optional[int],
                 warmup_epochs: Optional[int]) -> None:
    """Validate the warm-up lengths of a loss (``None`` or an int >= 0).

    Args:
        warmup_iters (int, optional): Warm-up length in iterations.
        warmup_epochs (int, optional): Warm-up length in epochs.
    """
    for name, value in (('warmup_iters', warmup_iters),
                        ('warmup_epochs', warmup_epochs)):
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, int) or value < 0):
            raise ValueError(
                f'{name} must be None or an int >= 0, got {value!r}')


def default_progress() -> dict:
    """The training progress a loss holds before the distiller sets one.

    Returns:
        dict: ``{'iter': 0, 'epoch': 0, 'max_iters': 0, 'max_epochs': 0}``.
    """
    return dict(iter=0, epoch=0, max_iters=0, max_epochs=0)


def warmup_factor(progress: Mapping[str, int], warmup_iters: Optional[int],
                  warmup_epochs: Optional[int]) -> float:
    """Linear warm-up factor ``min((t + 1) / T_warmup, 1)``.

    ``progress['iter']`` / ``progress['epoch']`` follow mmengine's runner:
    they count the iterations / epochs already *finished*, so the first
    epoch is ``epoch == 0``. The ``+ 1`` makes the factor equal to mdistiller's
    ``min(epoch / warmup, 1)`` with its 1-based epochs: ``1 / T`` during the
    first epoch and 1 from epoch ``T`` (1-based) on.

    Args:
        progress (Mapping[str, int]): The distiller's progress dict.
        warmup_iters (int, optional): Warm-up length in iterations; when not
            None it is used instead of ``warmup_epochs``.
        warmup_epochs (int, optional): Warm-up length in epochs.

    Returns:
        float: The factor in ``(0, 1]``; 1 when no warm-up is configured.
    """
    if warmup_iters is not None:
        key, length = 'iter', warmup_iters
    elif warmup_epochs is not None:
        key, length = 'epoch', warmup_epochs
    else:
        return 1.0
    if length == 0:
        return 1.0
    if key not in progress:
        raise KeyError(f'the loss warms up over {length} {key}s but its '
                       f'progress dict {dict(progress)} has no {key!r}: the '
                       'distiller must set loss.progress before each call')
    return min((int(progress[key]) + 1) / length, 1.0)


def to_tensor_list(x: TensorOrList, name: str) -> List[Tensor]:
    """Wrap a single tensor into a list; check a list holds only tensors.

    Args:
        x (Tensor | Sequence[Tensor]): One tensor or a list/tuple of tensors.
        name (str): Argument name used in the error message.

    Returns:
        list[Tensor]: The tensors.
    """
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)) and len(x) > 0 and all(
            isinstance(t, Tensor) for t in x):
        return list(x)
    raise TypeError(f'{name} must be a Tensor or a non-empty list/tuple of '
                    f'Tensors, got {type(x).__name__}')


def paired_tensor_lists(feats_S: TensorOrList, feats_T: TensorOrList,
                        loss_name: str) -> List[tuple]:
    """Pair student and teacher tensors; the teacher ones are detached.

    Args:
        feats_S (Tensor | Sequence[Tensor]): Student tensor(s).
        feats_T (Tensor | Sequence[Tensor]): Teacher tensor(s), as many.
        loss_name (str): Loss name used in the error message.

    Returns:
        list[tuple[Tensor, Tensor]]: ``(student, detached teacher)`` pairs.
    """
    list_S = to_tensor_list(feats_S, f'{loss_name}: student input')
    list_T = to_tensor_list(feats_T, f'{loss_name}: teacher input')
    if len(list_S) != len(list_T):
        raise ValueError(f'{loss_name} got {len(list_S)} student and '
                         f'{len(list_T)} teacher tensors; they must pair up')
    return [(s, t.detach()) for s, t in zip(list_S, list_T)]


def check_same_shape(feat_S: Tensor, feat_T: Tensor, loss_name: str) -> None:
    """Raise a ``ValueError`` naming the connectors if two shapes differ.

    Args:
        feat_S (Tensor): Student tensor.
        feat_T (Tensor): Teacher tensor.
        loss_name (str): Loss name used in the error message.
    """
    if feat_S.shape != feat_T.shape:
        raise ValueError(
            f'{loss_name} needs equal student/teacher shapes, got student '
            f'{tuple(feat_S.shape)} and teacher {tuple(feat_T.shape)}: '
            f'{CONNECTOR_HINT}')


def flatten_embedding(x: Tensor, name: str) -> Tensor:
    """Flatten an embedding ``(N, D)`` / ``(N, D, 1, 1)`` / ``(N, ...)``.

    Args:
        x (Tensor): The embedding, at least 2-D.
        name (str): Argument name used in the error message.

    Returns:
        Tensor: Shape (N, D') with D' the product of the trailing dims.
    """
    if x.dim() < 2:
        raise ValueError(f'{name} must be (N, D) or (N, D, ...), got shape '
                         f'{tuple(x.shape)}')
    return x.flatten(1)


def kl_div_with_temperature(logits_S: Tensor, logits_T: Tensor,
                            tau: float) -> Tensor:
    """KL(p_T || p_S) over dim 1 with ``p = softmax(z / tau)``, times tau^2.

    Args:
        logits_S (Tensor): Student logits, shape (N, C, ...).
        logits_T (Tensor): Teacher logits (already detached), same shape.
        tau (float): Temperature.

    Returns:
        Tensor: ``tau^2 * sum_c p_T (log p_T - log p_S)``, shape (N, ...).
    """
    log_p_S = F.log_softmax(logits_S / tau, dim=1)
    log_p_T = F.log_softmax(logits_T / tau, dim=1)
    kl = F.kl_div(log_p_S, log_p_T, reduction='none', log_target=True)
    return kl.sum(dim=1) * tau**2


def zero_loss(*tensors: Tensor) -> Tensor:
    """A zero scalar still connected to the graph of ``tensors``.

    Used where a loss has nothing to compare (e.g. no pixel of the other
    class): returning it keeps DDP's "every parameter got a gradient" check
    and the backward pass working without producing NaN.

    Args:
        *tensors (Tensor): The inputs that require gradients.

    Returns:
        Tensor: A 0-d tensor equal to 0.
    """
    return sum(t.sum() * 0.0 for t in tensors)


def check_max_side(value: Any) -> Optional[int]:
    """Return ``value`` after checking that it is None or an int >= 1.

    Args:
        value (Any): The ``max_side`` setting.

    Returns:
        int | None: ``value``.
    """
    if value is None:
        return None
    return check_positive_int('max_side', value)


def max_side_size(height: int, width: int,
                  max_side: Optional[int]) -> Tuple[int, int]:
    """The size a (height, width) map has after :func:`pool_to_max_side`.

    Args:
        height (int): Map height.
        width (int): Map width.
        max_side (int, optional): The largest side kept; None keeps all.

    Returns:
        tuple[int, int]: ``(min(height, max_side), min(width, max_side))``.
    """
    if max_side is None:
        return height, width
    return min(height, max_side), min(width, max_side)


def pool_to_max_side(x: Tensor, max_side: Optional[int]) -> Tensor:
    """Average-pool a map (N, C, H, W) to at most ``max_side`` per side.

    ``F.adaptive_avg_pool2d(x, (min(H, max_side), min(W, max_side)))``
    (e.g. a 128x128 map with ``max_side=32``: means of 4x4 blocks,
    computed by ``F.avg_pool2d`` where the sides divide, the same values
    at a fraction of the time); maps no larger, and any ``x`` when
    ``max_side`` is None, are returned as they are.

    Args:
        x (Tensor): (N, C, H, W).
        max_side (int, optional): The largest side kept.

    Returns:
        Tensor: ``x`` or its pooled map.
    """
    if max_side is None or x.dim() != 4:
        return x
    height, width = x.shape[-2:]
    size = max_side_size(height, width, max_side)
    if size == (height, width):
        return x
    if height % size[0] == 0 and width % size[1] == 0:
        return F.avg_pool2d(x, (height // size[0], width // size[1]))
    return F.adaptive_avg_pool2d(x, size)
