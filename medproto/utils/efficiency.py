# Copyright (c) medproto contributors. All rights reserved.
"""Parameter count, multiply-accumulate count and latency of a model.

Used by ``tools/analysis_tools/efficiency.py``. The operation count comes
from mmengine's :class:`~mmengine.analysis.FlopAnalyzer` (a jit-trace
counter derived from fvcore), which counts **one fused multiply-add as one
operation**: its "flops" are MACs, the unit most papers (MALUNet, EGE-UNet)
report as "GFLOPs". Operators without a handle (element-wise activations,
additions, ...) are not counted.
"""
import statistics
import time
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from mmengine.analysis import FlopAnalyzer
from torch import nn

__all__ = [
    'count_params', 'count_flops', 'measure_latency', 'check_input_shape'
]


def check_input_shape(input_shape: Sequence[int]) -> Tuple[int, int, int]:
    """Validate a single-image input shape ``(C, H, W)``.

    Args:
        input_shape (Sequence[int]): Channels, height and width.

    Returns:
        tuple[int, int, int]: The shape as a tuple.
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape):
        raise ValueError('`input_shape` must be three positive ints '
                         f'(C, H, W), got {input_shape!r}.')
    return shape


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of a model.

    Args:
        model (nn.Module): The model.
        trainable_only (bool): Count only parameters with
            ``requires_grad``. Defaults to False.

    Returns:
        int: The parameter count (shared parameters counted once).
    """
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module,
                input_shape: Sequence[int],
                warn_unsupported: bool = False) -> int:
    """Multiply-accumulate operations of one forward pass on one image.

    The model is traced in eval mode on a random tensor of shape
    ``(1, *input_shape)`` placed on the model's device; its training mode
    is restored afterwards. ``model(inputs)`` must return tensors (mmseg and
    mmpretrain models do: their default ``mode`` is ``'tensor'``).

    Args:
        model (nn.Module): The model.
        input_shape (Sequence[int]): ``(C, H, W)`` of one image.
        warn_unsupported (bool): Log the operators the counter skips.
            Defaults to False.

    Returns:
        int: MACs as counted by mmengine's ``FlopAnalyzer``.
    """
    shape = check_input_shape(input_shape)
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device('cpu')
    inputs = (torch.randn(1, *shape, device=device), )
    was_training = model.training
    model.eval()
    try:
        analyzer = FlopAnalyzer(model, inputs)
        analyzer.unsupported_ops_warnings(warn_unsupported)
        analyzer.uncalled_modules_warnings(warn_unsupported)
        analyzer.tracer_warnings('all' if warn_unsupported else 'none')
        return int(analyzer.total())
    finally:
        model.train(was_training)


def measure_latency(model: nn.Module,
                    input_shape: Sequence[int],
                    batch_sizes: Sequence[int] = (1, 8),
                    warmup: int = 10,
                    iters: int = 50,
                    device: str = 'cpu') -> Dict[int, Dict[str, float]]:
    """Forward-pass latency per batch size.

    The model is moved to ``device`` (in place) and run in eval mode under
    :func:`torch.inference_mode` on random inputs; each of the ``iters``
    timed passes is measured alone with :func:`time.perf_counter`, with
    :func:`torch.cuda.synchronize` before and after it on CUDA. The
    model's training mode is restored afterwards.

    Args:
        model (nn.Module): The model.
        input_shape (Sequence[int]): ``(C, H, W)`` of one image.
        batch_sizes (Sequence[int]): Batch sizes to time. Defaults to
            ``(1, 8)``.
        warmup (int): Untimed passes before timing. Defaults to 10.
        iters (int): Timed passes. Defaults to 50.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            Defaults to ``'cpu'``.

    Returns:
        dict[int, dict[str, float]]: Per batch size: ``median_ms`` and
        ``p90_ms`` of one batch, ``per_image_ms`` (median / batch size) and
        ``images_per_s``.
    """
    shape = check_input_shape(input_shape)
    if not batch_sizes or not all(
            isinstance(b, int) and b > 0 for b in batch_sizes):
        raise ValueError('`batch_sizes` must be positive ints, got '
                         f'{batch_sizes!r}.')
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f'`warmup` must be an int >= 0, got {warmup!r}.')
    if not isinstance(iters, int) or iters < 1:
        raise ValueError(f'`iters` must be an int >= 1, got {iters!r}.')
    torch_device = torch.device(device)
    is_cuda = torch_device.type == 'cuda'
    if is_cuda and not torch.cuda.is_available():
        raise ValueError(f'`device` is {device!r} but CUDA is not available.')

    was_training = model.training
    model.to(torch_device).eval()
    results = {}
    try:
        with torch.inference_mode():
            for batch_size in batch_sizes:
                inputs = torch.randn(batch_size, *shape, device=torch_device)
                times = _time_forward(model, inputs, warmup, iters, is_cuda)
                median = statistics.median(times)
                results[batch_size] = dict(
                    median_ms=median,
                    p90_ms=float(np.percentile(times, 90)),
                    per_image_ms=median / batch_size,
                    images_per_s=1000.0 * batch_size /
                    median if median > 0 else float('inf'))
    finally:
        model.train(was_training)
    return results


def _time_forward(model: nn.Module, inputs: torch.Tensor, warmup: int,
                  iters: int, is_cuda: bool) -> list:
    """Milliseconds of each of ``iters`` forward passes after warm-up."""
    for _ in range(warmup):
        model(inputs)
    times = []
    for _ in range(iters):
        if is_cuda:
            torch.cuda.synchronize(inputs.device)
        start = time.perf_counter()
        model(inputs)
        if is_cuda:
            torch.cuda.synchronize(inputs.device)
        times.append(1000.0 * (time.perf_counter() - start))
    return times
