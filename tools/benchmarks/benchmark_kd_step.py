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

With ``--cache DIR`` (a teacher-output cache, ``--teacher-ckpt`` the
checkpoint it was built from, ``--kd-config`` the cached distillation
config) it times instead, on real batches of the config's train set (each
sample one of its stored views, so every KD step reads the cache): the
student-only step, the distiller with every term off, and the cached KD
step in each curriculum stage, with their ratio to the student-only step.
Where the config's pipeline reads the cache in the data loader
(``LoadTeacherOutputs``), the batches carry the values as the loader gives
them, each stage is also timed reading the cache in the step, and the
loader's read time per batch is printed (the workers' work, not the
step's). ``--per-term`` adds the KD step with each distillation term
alone.

The steps are timed interleaved (one of each in turn) and reported as
medians; both loops use the configs' optimizer. ``--cfg-options`` times
the KD config with other settings, e.g. the opt-in cheaper ones
(``model.distill_losses.loss_feat.max_side=32`` with the same
``max_side`` on the skip connectors, ``model.distill_losses.loss_nce.
num_samples=64``; see docs/results.md). Example::

    python tools/benchmarks/benchmark_kd_step.py --threads 1 --clock cpu
    python tools/benchmarks/benchmark_kd_step.py --threads 1 --clock cpu \
        --kd-config configs/maunet/maunet_kd_lite0_cached_kvasir.py \
        --teacher-ckpt TEACHER.pth --cache work_dirs/teacher_cache/DIR
"""
import argparse
import copy
import itertools
import os
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Union

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

from medproto.distill.teacher_cache import (  # noqa: E402
    OUTPUT_LOADER, OUTPUTS_META_KEY, dataset_fingerprint, output_loader_of,
    pipeline_of)
from medproto.utils.cli import (ConfigError,  # noqa: E402
                                add_cfg_options_arg, add_debug_arg,
                                friendly_errors, load_config)

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


def train_step(model, batch: Union[dict, Callable[[], dict]],
               optim) -> Callable[[], None]:
    """One training step (preprocessor, loss, backward, optimizer) on
    ``batch``, or on the next batch that the callable ``batch`` returns."""

    def step() -> None:
        data = model.data_preprocessor(
            batch() if callable(batch) else batch, True)
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


def cached_batches(cfg: Config, count: int, batch_size: int,
                   seed: int = 0) -> List[dict]:
    """``count`` batches of the config's train set, each of
    ``batch_size`` random samples through its pipeline (``ViewAugment``
    draws one of the stored views per sample), in the form the data
    preprocessor takes."""
    dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
    rng = np.random.RandomState(seed)
    np.random.seed(seed)  # ViewAugment draws the view from NumPy's RNG
    return [pseudo_collate([dataset[int(i)] for i in
                            rng.randint(0, len(dataset), batch_size)])
            for _ in range(count)]


def cycling(batches: Sequence[dict]) -> Callable[[], dict]:
    """A callable that returns the batches in turn, forever."""
    it = itertools.cycle(batches)
    return lambda: next(it)


def kd_model_cfg(cfg: Config, teacher_ckpt: Optional[str],
                 cache: Optional[str]) -> dict:
    """The distiller config of ``cfg`` with ``teacher_ckpt`` (None: a
    random teacher) and ``cache`` (None: the teacher runs live)."""
    model = copy.deepcopy(cfg.model)
    if not isinstance(model, dict) or 'teacher' not in model \
            or 'distill_losses' not in model:
        raise ConfigError('--kd-config is not a distillation config: its '
                          "model has no 'teacher' and 'distill_losses'")
    missing = [k for active in STAGES.values() for k in active
               if k not in model['distill_losses']]
    if missing:
        raise ConfigError(f'--kd-config has no distill_losses {missing}: '
                          'the benchmark times the seg curriculum '
                          f'{dict(STAGES)}')
    model['teacher_ckpt'] = teacher_ckpt
    model['teacher_cache'] = cache
    if cfg.get('data_preprocessor') is not None:  # as mmengine's Runner
        model.setdefault('data_preprocessor', cfg.data_preprocessor)
    return model


def print_steps(title: str, times: Dict[str, List[float]],
                batch_size: int) -> None:
    """The step table: median ms, images/s and the ratio to the first."""
    base = statistics.median(next(iter(times.values())))
    print(title)
    print(f'{"step":<30}{"ms/step":>10}{"images/s":>10}{"vs student":>12}')
    for name, t in times.items():
        ms = statistics.median(t)
        print(f'{name:<30}{ms:>10.1f}{1000. * batch_size / ms:>10.2f}'
              f'{base / ms:>11.2f}x')


def _shown(path: str) -> str:
    """``path`` relative to the repository when it lies inside it."""
    rel = osp.relpath(path, REPO)
    return path if rel.startswith('..') else rel


def cached_main(args: argparse.Namespace) -> None:
    """Time the student-only step and the cached KD step per stage on real
    batches of the KD config's train set. With ``LoadTeacherOutputs`` in
    its pipeline the batches carry the views' values, as the data loader
    gives them, and each stage is timed a second time reading the cache in
    the step."""
    cfg = load_config(args.kd_config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    distiller = MODELS.build(kd_model_cfg(cfg, args.teacher_ckpt,
                                          args.cache)).train()
    # what TeacherCacheHook checks before training
    dataset_cfg = cfg.train_dataloader.dataset
    distiller.check_teacher_cache_data(dataset_fingerprint(
        dataset_cfg, DATASETS.build(copy.deepcopy(dataset_cfg))))
    loader = output_loader_of(pipeline_of(dataset_cfg))
    if loader is not None:  # the workers read the cache the model reads
        loader['cache'] = args.cache
    batches = cached_batches(cfg, args.warmup + args.iters,
                             args.batch_size)
    student_cfg = load_config(args.student_config)
    optimizer_cfg = optimizer_cfg_of(student_cfg)
    student = MODELS.build(student_cfg.model).train()
    optim = build_optimizer(distiller, optimizer_cfg)
    steps = {'student only': train_step(
        student, cycling(batches), build_optimizer(student, optimizer_cfg))}
    # every step kind sees the same sequence of batches
    stages = [('no terms', ()), *STAGES.items()]
    if args.per_term:
        stages += [(f'{term} only', (term, )) for term in distiller.loss_names]
    for stage, active in stages:
        name = f'KD {stage}' + (' (cache)' if active else '')
        steps[name] = stage_step(
            distiller, active, train_step(distiller, cycling(batches),
                                          optim))
    if loader is not None:  # the same steps reading the cache themselves
        unloaded = without_loaded_outputs(batches)
        for stage, active in STAGES.items():
            steps[f'KD {stage} (read in step)'] = stage_step(
                distiller, active, train_step(distiller, cycling(unloaded),
                                              optim))
    times = interleave(steps, args.warmup, args.iters, args.clock_fn)
    shape = tuple(batches[0]['inputs'][0].shape[-2:])
    print_steps(
        f'\ncached KD ({_shown(args.kd_config)}, cache '
        f'{_shown(args.cache)}): batch {args.batch_size}, {shape[0]}x{shape[1]}, '
        f'{args.threads} thread(s), {args.clock} clock, medians of '
        f'{args.iters} interleaved steps over {len(batches)} real batches '
        f'(each sample one stored view); optimizer {optimizer_cfg}',
        times, args.batch_size)
    if loader is not None:
        print(f'the data loader\'s {OUTPUT_LOADER} read the cache: '
              f'{loader_read_ms(distiller.teacher_cache, batches):.1f} ms '
              'per batch (median, in the workers; the "(cache)" steps '
              'above only convert its values)')
    else:
        print(f'the train pipeline has no {OUTPUT_LOADER}: every KD step '
              'reads the cache itself')


def without_loaded_outputs(batches: Sequence[dict]) -> List[dict]:
    """Copies of ``batches`` whose data samples carry no values read by
    ``LoadTeacherOutputs`` (the distiller then reads the cache)."""
    out = []
    for batch in batches:
        samples = [ds.clone() for ds in batch['data_samples']]
        for ds in samples:
            del ds.teacher_outputs, ds.teacher_outputs_of
        out.append(dict(batch, data_samples=samples))
    return out


def loader_read_ms(cache, batches: Sequence[dict]) -> float:
    """Median process-time milliseconds ``LoadTeacherOutputs`` takes to
    read one batch's views (what the data loader's workers do)."""
    times = []
    for batch in batches:
        metas = [ds.metainfo for ds in batch['data_samples']]
        start = time.process_time()
        for meta in metas:
            cache.read_view(int(meta['sample_idx']), int(meta['view_idx']),
                            meta[OUTPUTS_META_KEY]['names'])
        times.append(1000. * (time.process_time() - start))
    return statistics.median(times)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--size', type=int, default=256,
                        help=f'image side (a multiple of 32, >= {MIN_SIZE}; '
                        'with --cache the data\'s own size is used)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--clock', choices=sorted(CLOCKS), default='wall',
                        help="'wall' or 'cpu' (process time; use with "
                        '--threads 1 on a shared machine)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark_kd_step')
    parser.add_argument('--no-models', action='store_true',
                        help='skip the teacher / student report of '
                        'benchmark_seg.py')
    parser.add_argument('--kd-config', default=KD_CONFIG,
                        help='distillation config with the losses of the '
                        'seg curriculum, loss_kd, loss_feat, loss_nce, '
                        'loss_l2 (default configs/maunet/maunet_kd_kvasir.py)')
    parser.add_argument('--student-config', default=STUDENT_CONFIG,
                        help='the student-only config (default '
                        'configs/maunet/maunet_kvasir.py)')
    parser.add_argument('--teacher-ckpt', default=None,
                        help='teacher checkpoint (default: a random '
                        'teacher; needed with --cache)')
    parser.add_argument('--cache', default=None,
                        help='a teacher-output cache folder of --kd-config: '
                        'time the cached KD step on real batches instead')
    parser.add_argument('--per-term', action='store_true',
                        help='also time the KD step with each distillation '
                        'term alone (where the extra time goes)')
    add_cfg_options_arg(parser, 'override settings of --kd-config, '
                        'key=value (e.g. model.distill_losses.loss_nce.'
                        'num_samples=64)')
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    for name in ('iters', 'batch_size', 'size', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.size < MIN_SIZE or args.size % 32:
        parser.error(f'--size must be a multiple of 32 (five 2x poolings) and '
                     f"at least {MIN_SIZE} (the bridge's LSAB reflect padding "
                     f'needs >= {MIN_SIZE}), got {args.size}')
    if args.cache is not None and args.teacher_ckpt is None:
        parser.error('--cache needs --teacher-ckpt, the checkpoint the cache '
                     'was built from (its SHA-256 is in the fingerprint)')
    # the tool runs from the repository root; keep the user's paths
    for name in ('kd_config', 'student_config', 'teacher_ckpt', 'cache'):
        path = getattr(args, name)
        if path is not None and '::' not in path and '://' not in path:
            setattr(args, name, osp.abspath(path))
    args.clock_fn = CLOCKS[args.clock]
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        if args.cache is not None:
            os.chdir(REPO)  # the config's data_root is a repo path
            torch.manual_seed(0)
            torch.set_num_threads(args.threads)
            cached_main(args)
            return
        live_main(args)


def live_main(args: argparse.Namespace) -> None:
    """The model report, the live KD steps on a synthetic batch and the
    loop comparison."""
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
    clock = args.clock_fn
    init_default_scope('mmseg')
    batch = make_batch(args.batch_size, args.size)
    student_cfg = load_config(args.student_config)
    optimizer_cfg = optimizer_cfg_of(student_cfg)

    student = MODELS.build(student_cfg.model).train()
    kd_cfg = load_config(args.kd_config)
    if args.cfg_options:
        kd_cfg.merge_from_dict(args.cfg_options)
    # random teacher unless --teacher-ckpt: speed does not depend on it
    distiller = MODELS.build(kd_model_cfg(kd_cfg, args.teacher_ckpt,
                                          None)).train()
    kd_step = train_step(distiller, batch,
                         build_optimizer(distiller, optimizer_cfg))
    steps = {'student only': train_step(student, batch,
                                        build_optimizer(student,
                                                        optimizer_cfg))}
    stages = list(STAGES.items())
    if args.per_term:
        stages += [(f'{term} only', (term, )) for term in distiller.loss_names]
    for stage, active in stages:
        steps[f'KD {stage}'] = stage_step(distiller, active, kd_step)
    times = interleave(steps, args.warmup, args.iters, clock)
    print_steps(f'\nbatch {args.batch_size}, {args.size}x{args.size}, '
                f'{args.threads} thread(s), {args.clock} clock, medians of '
                f'{args.iters} interleaved steps; optimizer {optimizer_cfg}',
                times, args.batch_size)

    dataset = RepeatedBatchDataset(args.batch_size, args.size,
                                   args.batch_size * (args.iters + 4))
    plain = statistics.median(plain_loop_times(
        MODELS.build(student_cfg.model), dataset,
        args.batch_size, args.iters, optimizer_cfg, clock))
    runner = statistics.median(runner_times(
        args.student_config, args.batch_size, args.size, args.iters,
        args.work_dir, optimizer_cfg, clock))
    print(f'\n{"loop (student)":<22}{"ms/step":>10}{"images/s":>10}'
          f'{"vs plain":>12}')
    for name, ms in (('plain PyTorch', plain), ('mmengine Runner', runner)):
        print(f'{name:<22}{ms:>10.1f}{1000. * args.batch_size / ms:>10.2f}'
              f'{plain / ms:>11.2f}x')


if __name__ == '__main__':
    main()
