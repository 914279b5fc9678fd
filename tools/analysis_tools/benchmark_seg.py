# Copyright (c) medproto contributors. All rights reserved.
"""Teacher and student segmentors side by side: size, MACs and CPU speed.

Example (the numbers in the MAUNet docs come from this)::

    python tools/analysis_tools/benchmark_seg.py --threads 2

prints, for the teacher (default ``configs/_base_/models/malunet.py``) and
the student (``configs/_base_/models/maunet.py``): parameters, MACs of one
image (mmengine ``FlopAnalyzer``, total and convolution + linear only),
inference latency for batch 1 and 8 (median after warm-up; the student also
after ``switch_to_deploy()``, i.e. with its BatchNorms folded), and the
training throughput at batch 8 (``model.loss`` + backward + optimizer step,
the optimizer of ``--schedule``: the Kvasir configs' AdamW).

The models are timed *interleaved*, one iteration of each in turn, so that
load from other processes hits both alike. On a shared machine wall-clock
times still vary; ``--clock cpu --threads 1`` times the process CPU time
instead, which is far less sensitive to other processes.

The measurement helpers (:func:`build_segmentor`, :func:`make_seg_batch`,
:func:`time_inference`, :func:`time_training`, :func:`interleave`,
:func:`build_optimizer`, :func:`summarize`) are plain
functions so that other scripts (e.g. a distillation-step benchmark) can
reuse them.
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402
from mmengine.analysis import FlopAnalyzer  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import (MODELS, OPTIMIZERS,  # noqa: E402
                               init_default_scope)
from mmengine.structures import PixelData  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402
from torch import nn  # noqa: E402

from medproto.utils.efficiency import count_params  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}
SCHEDULE = 'configs/_base_/schedules/seg_adamw_cosine.py'
DEFAULT_OPTIMIZER = dict(type='AdamW', lr=1e-3, weight_decay=1e-2)
# MAUNet/MALUNet with the bridge: LSAB reflect-pads the 1/32 skip by 3 px
MIN_SIZE = 128


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark a teacher and a student segmentor on CPU')
    base = osp.join(REPO, 'configs', '_base_', 'models')
    parser.add_argument('--teacher', default=osp.join(base, 'malunet.py'),
                        help='config of the teacher segmentor')
    parser.add_argument('--student', default=osp.join(base, 'maunet.py'),
                        help='config of the student segmentor')
    parser.add_argument('--shape', type=int, nargs=2, default=[256, 256],
                        metavar=('H', 'W'),
                        help='input height and width (multiples of 32, '
                        f'>= {MIN_SIZE})')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8],
                        help='inference batch sizes')
    parser.add_argument('--train-batch', type=int, default=8,
                        help='training batch size')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed iterations per model and setting')
    parser.add_argument('--iters', type=int, default=20,
                        help='timed inference iterations per model')
    parser.add_argument('--train-iters', type=int, default=6,
                        help='timed training steps per model')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch.set_num_threads')
    parser.add_argument('--clock', choices=sorted(CLOCKS), default='wall',
                        help="'wall' (perf_counter) or 'cpu' (process time; "
                        'use with --threads 1)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--schedule', default=osp.join(REPO, SCHEDULE),
        help='config whose optim_wrapper.optimizer both models train with')
    args = parser.parse_args(argv)
    for name in ('train_batch', 'warmup', 'iters', 'train_iters', 'threads'):
        if getattr(args, name) < (0 if name == 'warmup' else 1):
            parser.error(f'--{name.replace("_", "-")} must be positive, got '
                         f'{getattr(args, name)}')
    if any(b < 1 for b in args.batch_sizes):
        parser.error(f'--batch-sizes must be positive, got {args.batch_sizes}')
    if any(s < 1 or s % 32 for s in args.shape):
        parser.error(f'--shape must be positive multiples of 32 (five 2x '
                     f'poolings), got {args.shape}')
    if min(args.shape) < MIN_SIZE:
        parser.error(f'--shape must be at least {MIN_SIZE} in H and W (the '
                     f"bridge's LSAB reflect padding needs >= {MIN_SIZE}), "
                     f'got {args.shape}')
    return args


def build_segmentor(config: str) -> nn.Module:
    """Build ``cfg.model`` (or a distiller's student) of a config file.

    Args:
        config (str): Path of an mmseg segmentor config.

    Returns:
        nn.Module: The segmentor in train mode, with the weights its modules
        draw when built (``init_weights`` is not needed for timing).
    """
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model
    if 'student' in model_cfg:
        model_cfg = model_cfg['student']
    return MODELS.build(model_cfg)


def make_seg_batch(batch_size: int, shape: Tuple[int, int],
                   in_channels: int = 3) -> Tuple[torch.Tensor, list]:
    """Normalised random images and random binary masks.

    Args:
        batch_size (int): Number of images.
        shape (tuple[int, int]): Height and width.
        in_channels (int): Image channels. Defaults to 3.

    Returns:
        tuple[Tensor, list[SegDataSample]]: Images (B, C, H, W) and samples
        holding ``gt_sem_seg`` in {0, 1}.
    """
    h, w = shape
    inputs = torch.randn(batch_size, in_channels, h, w)
    samples = []
    for _ in range(batch_size):
        sample = SegDataSample(metainfo=dict(
            img_shape=(h, w), pad_shape=(h, w), ori_shape=(h, w)))
        sample.gt_sem_seg = PixelData(
            data=(torch.rand(1, h, w) > 0.5).long())
        samples.append(sample)
    return inputs, samples


def count_macs(model: nn.Module, shape: Sequence[int]) -> Dict[str, int]:
    """MACs of one image by operator type (mmengine ``FlopAnalyzer``).

    Args:
        model (nn.Module): A segmentor; traced as ``model(x)`` in eval mode.
        shape (Sequence[int]): ``(C, H, W)``.

    Returns:
        dict[str, int]: ``total`` and ``conv_linear`` (convolutions, linear
        layers and matrix products only: the convention of the MALUNet
        and MicroAUNet papers).
    """
    was_training = model.training
    model.eval()
    try:
        analyzer = FlopAnalyzer(model, (torch.randn(1, *shape), ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        by_op = analyzer.by_operator()
    finally:
        model.train(was_training)
    core = sum(v for k, v in by_op.items()
               if k in ('conv', 'linear', 'matmul', 'bmm', 'einsum'))
    return dict(total=int(sum(by_op.values())), conv_linear=int(core))


def deployed_copy(model: nn.Module) -> Optional[nn.Module]:
    """A copy in eval mode with ``backbone.switch_to_deploy()`` applied.

    Args:
        model (nn.Module): A segmentor.

    Returns:
        nn.Module | None: The fused copy, or None when the backbone has
        nothing to fuse.
    """
    backbone = getattr(model, 'backbone', None)
    if not callable(getattr(backbone, 'switch_to_deploy', None)):
        return None
    fused = copy.deepcopy(model).eval()
    fused.backbone.switch_to_deploy()
    return fused


def interleave(steps: Dict[str, Callable[[], None]], warmup: int, iters: int,
               clock: Callable[[], float]) -> Dict[str, List[float]]:
    """Run every step ``warmup`` times, then ``iters`` rounds of one call
    each, and return the milliseconds of each timed call per name."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in steps}
    for _ in range(iters):
        for name, step in steps.items():
            start = clock()
            step()
            times[name].append(1000. * (clock() - start))
    return times


def time_inference(models: Dict[str, nn.Module], batch_size: int,
                   shape: Tuple[int, int], warmup: int, iters: int,
                   clock: Callable[[], float]) -> Dict[str, List[float]]:
    """Interleaved forward passes (``mode='tensor'``: backbone + head
    logits) under :func:`torch.inference_mode`.

    Args:
        models (dict[str, nn.Module]): Models by name; put in eval mode.
        batch_size (int): Images per forward pass.
        shape (tuple[int, int]): Height and width.
        warmup (int): Untimed rounds.
        iters (int): Timed rounds.
        clock (callable): ``time.perf_counter`` or ``time.process_time``.

    Returns:
        dict[str, list[float]]: Milliseconds per pass, per model.
    """
    inputs, _ = make_seg_batch(batch_size, shape)

    def step_of(model: nn.Module) -> Callable[[], None]:
        def step() -> None:
            with torch.inference_mode():
                model(inputs, mode='tensor')
        return step

    for model in models.values():
        model.eval()
    return interleave({n: step_of(m) for n, m in models.items()}, warmup,
                      iters, clock)


def optimizer_cfg_of(config: Union[str, Config]) -> dict:
    """``optim_wrapper.optimizer`` of a config (file).

    Args:
        config (str | Config): A config with an ``optim_wrapper``, or its
            path.

    Returns:
        dict: The optimizer config (without ``params``).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if 'optim_wrapper' not in cfg or 'optimizer' not in cfg.optim_wrapper:
        raise ValueError(f'{cfg.filename} has no optim_wrapper.optimizer')
    return dict(cfg.optim_wrapper.optimizer)


def build_optimizer(model: nn.Module, optimizer_cfg: dict):
    """The configured optimizer over the trainable parameters of ``model``
    (a distiller's frozen teacher is left out).

    Args:
        model (nn.Module): The model.
        optimizer_cfg (dict): mmengine optimizer config without ``params``.

    Returns:
        torch.optim.Optimizer: The optimizer.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    return OPTIMIZERS.build(dict(optimizer_cfg, params=params))


def time_training(models: Dict[str, nn.Module], batch_size: int,
                  shape: Tuple[int, int], warmup: int, iters: int,
                  clock: Callable[[], float],
                  optimizer: Optional[dict] = None) -> Dict[str, List[float]]:
    """Interleaved training steps: ``model.loss`` + backward + optimizer.

    The data preprocessor is skipped (inputs are already normalised
    tensors). The models are trained in place.

    Args:
        models (dict[str, nn.Module]): Models by name; put in train mode.
        batch_size (int): Images per step.
        shape (tuple[int, int]): Height and width.
        warmup (int): Untimed rounds.
        iters (int): Timed rounds.
        clock (callable): ``time.perf_counter`` or ``time.process_time``.
        optimizer (dict, optional): mmengine optimizer config for every
            model; None for MALUNet's AdamW (lr 1e-3, weight decay 1e-2).

    Returns:
        dict[str, list[float]]: Milliseconds per step, per model.
    """
    inputs, samples = make_seg_batch(batch_size, shape)
    optimizer = dict(DEFAULT_OPTIMIZER if optimizer is None else optimizer)

    def step_of(model: nn.Module) -> Callable[[], None]:
        optim = build_optimizer(model, optimizer)

        def step() -> None:
            losses = model.loss(inputs, samples)
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        return step

    for model in models.values():
        model.train()
    return interleave({n: step_of(m) for n, m in models.items()}, warmup,
                      iters, clock)


def summarize(times: Sequence[float]) -> float:
    """Median of a list of timings."""
    return statistics.median(times)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    clock = CLOCKS[args.clock]
    shape = tuple(args.shape)
    models = dict(teacher=build_segmentor(args.teacher),
                  student=build_segmentor(args.student))
    report = dict(threads=args.threads, clock=args.clock, shape=list(shape),
                  torch=torch.__version__)
    for name, model in models.items():
        report[name] = dict(type=type(model.backbone).__name__,
                            params=count_params(model),
                            macs=count_macs(model, (3, *shape)))

    deployed = {f'{n} (deploy)': m for n, m in
                ((n, deployed_copy(m)) for n, m in models.items())
                if m is not None}
    for batch_size in args.batch_sizes:
        times = time_inference({**models, **deployed}, batch_size, shape,
                               args.warmup, args.iters, clock)
        for name, t in times.items():
            key = name.split(' ')[0]
            tag = 'deploy' if name.endswith('(deploy)') else 'eval'
            report[key][f'latency_b{batch_size}_{tag}_ms'] = summarize(t)
    optimizer = optimizer_cfg_of(args.schedule)
    report['optimizer'] = optimizer
    times = time_training(models, args.train_batch, shape, args.warmup,
                          args.train_iters, clock, optimizer)
    for name, t in times.items():
        report[name]['train_images_per_s'] = 1000. * args.train_batch / \
            summarize(t)
    print(format_report(report, args))
    return report


def format_report(report: dict, args: argparse.Namespace) -> str:
    """Two columns (teacher, student) and their ratio."""
    t, s = report['teacher'], report['student']
    rows = [('backbone', t['type'], s['type'], ''),
            ('params', f"{t['params']:,}", f"{s['params']:,}",
             f"{s['params'] / t['params']:.2f}x"),
            ('GMACs (total)', f"{t['macs']['total'] / 1e9:.4f}",
             f"{s['macs']['total'] / 1e9:.4f}",
             f"{s['macs']['total'] / t['macs']['total']:.2f}x"),
            ('GMACs (conv+linear)', f"{t['macs']['conv_linear'] / 1e9:.4f}",
             f"{s['macs']['conv_linear'] / 1e9:.4f}",
             f"{s['macs']['conv_linear'] / t['macs']['conv_linear']:.2f}x")]
    for key in sorted(k for k in s if k.startswith('latency')):
        ref = t.get(key, t.get(key.replace('deploy', 'eval')))
        rows.append((key.replace('_ms', ' (ms)'), f'{ref:.1f}' if ref else
                     '-', f'{s[key]:.1f}', f'{s[key] / ref:.2f}x'))
    rows.append(('train images/s (batch '
                 f'{args.train_batch})', f"{t['train_images_per_s']:.1f}",
                 f"{s['train_images_per_s']:.1f}",
                 f"{s['train_images_per_s'] / t['train_images_per_s']:.2f}x"))
    width = max(len(r[0]) for r in rows)
    lines = [f"{args.shape[0]}x{args.shape[1]}, {args.threads} thread(s), "
             f"{args.clock} clock, medians; ratio = student / teacher "
             '(teacher deploy = teacher eval)',
             f"{'':{width}}  {'teacher':>12}  {'student':>12}  {'ratio':>7}"]
    lines += [f'{a:{width}}  {b:>12}  {c:>12}  {d:>7}' for a, b, c, d in rows]
    if 'optimizer' in report:
        lines.append(f"training optimizer: {report['optimizer']}")
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
