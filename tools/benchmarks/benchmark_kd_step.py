# Copyright (c) medproto contributors. All rights reserved.
"""Training throughput of the distillation steps and of tools/train.py.

Prints, in one run on the same synthetic 256x256 batches:

* first (unless ``--no-models``), the teacher / student report of
  ``tools/analysis_tools/benchmark_seg.py`` with the same threads, clock,
  size and batch: parameters, GMACs, inference latency (batch 1 and 8)
  and training images/s of MALUNet and MAUNet;
* images/s of a student-only step, the KD step in each curriculum stage
  (imitation: BCE+Dice + pixel KD + skip features; preference: BCE+Dice +
  InfoNCE + L2) and their ratio to the student-only step;
* images/s of mmengine's Runner (what tools/train.py runs) against a plain
  PyTorch loop over the same model, optimizer and data.

The steps are timed interleaved (one of each in turn) and reported as
medians; both loops use the configs' optimizer. Example::

    python tools/benchmarks/benchmark_kd_step.py --threads 1 --clock cpu
"""
import argparse
import os
import os.path as osp
import statistics
import sys
from typing import Callable, List, Optional, Sequence

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                            'analysis_tools'))
from benchmark_seg import (CLOCKS, MIN_SIZE, build_optimizer,  # noqa: E402
                           interleave, optimizer_cfg_of)
from benchmark_seg import main as benchmark_models  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KD_CONFIG = osp.join(REPO, 'configs/maunet/maunet_kd_kvasir.py')
STUDENT_CONFIG = osp.join(REPO, 'configs/maunet/maunet_kvasir.py')
STAGES = {
    'imitation': ('loss_kd', 'loss_feat'),
    'preference': ('loss_nce', 'loss_l2'),
}


def make_batch(batch_size: int, size: int, seed: int = 0) -> dict:
    """A batch in the form mmseg's data preprocessor takes."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=g,
                                    dtype=torch.uint8))
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, size // 4:size // 2, size // 4:size // 2] = 1
        s = SegDataSample(gt_sem_seg=PixelData(data=mask))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size), sample_idx=i))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def train_step(model, batch: dict, optim) -> Callable[[], None]:
    """One training step (preprocessor, loss, backward, optimizer)."""

    def step() -> None:
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
    return step


def stage_step(distiller, active: Sequence[str], step: Callable[[], None]
               ) -> Callable[[], None]:
    """``step`` with only the ``active`` distillation terms switched on, as
    :class:`CurriculumDistillHook` sets them in that stage."""

    def run() -> None:
        distiller.loss_scales.update(
            {k: float(k in active) for k in distiller.loss_scales})
        step()
    return run


def plain_loop_times(model, dataset, batch_size: int, iters: int,
                     optimizer_cfg: dict, clock: Callable[[], float],
                     warmup: int = 3) -> List[float]:
    """Milliseconds per iteration of a plain PyTorch loop: DataLoader with
    mmengine's collate, then the same step as the Runner runs."""
    from mmengine.dataset import default_collate

    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=0,
        collate_fn=default_collate)
    model.train()
    optim = build_optimizer(model, optimizer_cfg)
    times, last = [], clock()
    for i, batch in enumerate(loader):
        train_step(model, batch, optim)()
        now = clock()
        if i >= warmup:
            times.append(1000. * (now - last))
        last = now
        if len(times) == iters:
            break
    return times


@DATASETS.register_module(force=True)
class RepeatedBatchDataset(torch.utils.data.Dataset):
    """The samples of :func:`make_batch`, repeated ``length`` times."""

    def __init__(self, batch_size: int, size: int, length: int) -> None:
        self.batch = make_batch(batch_size, size)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        j = i % len(self.batch['inputs'])
        return dict(inputs=self.batch['inputs'][j],
                    data_samples=self.batch['data_samples'][j])


def runner_times(cfg_file: str, batch_size: int, size: int, iters: int,
                 work_dir: str, optimizer_cfg: dict,
                 clock: Callable[[], float], warmup: int = 3) -> List[float]:
    """Milliseconds per iteration of mmengine's Runner (what
    tools/train.py runs) on the in-memory dataset, no workers."""
    from mmengine.runner import Runner

    from medproto.utils.setup_env import prepare_cfg

    cfg = Config.fromfile(cfg_file)
    prepare_cfg(cfg)
    cfg.work_dir = work_dir
    cfg.train_dataloader = dict(
        dataset=dict(type='RepeatedBatchDataset', batch_size=batch_size,
                     size=size, length=batch_size * (iters + warmup + 1)),
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))
    cfg.train_cfg = dict(type='IterBasedTrainLoop',
                         max_iters=iters + warmup + 1)
    cfg.optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer_cfg)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator',
                'param_scheduler'):
        cfg.pop(key, None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**9)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**9)
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook')
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    stamps = []

    from mmengine.hooks import Hook

    class _Clock(Hook):

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            stamps.append(clock())

    runner.register_hook(_Clock(), priority='LOWEST')
    runner.train()
    return [1000. * (b - a)
            for a, b in zip(stamps[warmup:], stamps[warmup + 1:])]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--size', type=int, default=256,
                        help=f'image side (a multiple of 32, >= {MIN_SIZE})')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--clock', choices=sorted(CLOCKS), default='wall',
                        help="'wall' or 'cpu' (process time; use with "
                        '--threads 1 on a shared machine)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_kd_step')
    parser.add_argument('--no-models', action='store_true',
                        help='skip the teacher / student report of '
                        'benchmark_seg.py')
    args = parser.parse_args(argv)
    for name in ('iters', 'batch_size', 'size', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.size < MIN_SIZE or args.size % 32:
        parser.error(f'--size must be a multiple of 32 (five 2x poolings) and '
                     f"at least {MIN_SIZE} (the bridge's LSAB reflect padding "
                     f'needs >= {MIN_SIZE}), got {args.size}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not args.no_models:
        size = str(args.size)
        benchmark_models([
            '--threads', str(args.threads), '--clock', args.clock,
            '--shape', size, size, '--train-batch', str(args.batch_size),
            '--warmup', str(args.warmup), '--iters', str(args.iters),
            '--train-iters', str(args.iters)
        ])
    os.chdir(REPO)  # the KD config names its teacher by a repo path
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    clock = CLOCKS[args.clock]
    init_default_scope('mmseg')
    batch = make_batch(args.batch_size, args.size)
    student_cfg = Config.fromfile(STUDENT_CONFIG)
    optimizer_cfg = optimizer_cfg_of(student_cfg)

    student = MODELS.build(student_cfg.model).train()
    kd_cfg = Config.fromfile(KD_CONFIG).model
    kd_cfg.teacher_ckpt = None  # random teacher: speed does not depend on it
    distiller = MODELS.build(kd_cfg).train()
    kd_step = train_step(distiller, batch,
                         build_optimizer(distiller, optimizer_cfg))
    steps = {'student only': train_step(student, batch,
                                        build_optimizer(student,
                                                        optimizer_cfg))}
    for stage, active in STAGES.items():
        steps[f'KD {stage}'] = stage_step(distiller, active, kd_step)
    times = interleave(steps, args.warmup, args.iters, clock)
    base = statistics.median(times['student only'])
    print(f'\nbatch {args.batch_size}, {args.size}x{args.size}, '
          f'{args.threads} thread(s), {args.clock} clock, medians of '
          f'{args.iters} interleaved steps; optimizer {optimizer_cfg}')
    print(f'{"step":<22}{"ms/step":>10}{"images/s":>10}{"vs student":>12}')
    for name, t in times.items():
        ms = statistics.median(t)
        print(f'{name:<22}{ms:>10.1f}{1000. * args.batch_size / ms:>10.2f}'
              f'{base / ms:>11.2f}x')

    dataset = RepeatedBatchDataset(args.batch_size, args.size,
                                   args.batch_size * (args.iters + 4))
    plain = statistics.median(plain_loop_times(
        MODELS.build(student_cfg.model), dataset,
        args.batch_size, args.iters, optimizer_cfg, clock))
    runner = statistics.median(runner_times(
        STUDENT_CONFIG, args.batch_size, args.size, args.iters,
        args.work_dir, optimizer_cfg, clock))
    print(f'\n{"loop (student)":<22}{"ms/step":>10}{"images/s":>10}'
          f'{"vs plain":>12}')
    for name, ms in (('plain PyTorch', plain), ('mmengine Runner', runner)):
        print(f'{name:<22}{ms:>10.1f}{1000. * args.batch_size / ms:>10.2f}'
              f'{plain / ms:>11.2f}x')


if __name__ == '__main__':
    main()
