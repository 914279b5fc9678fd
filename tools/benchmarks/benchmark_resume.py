# Copyright (c) medproto contributors. All rights reserved.
"""How fast tools/train.py resumes late in a schedule (issue 17).

1. Writes the checkpoint a run of ``CONFIG`` would write at iteration
   ``--at`` (default 2,900 of the shipped 3,000-iteration segmentation
   schedule): the runner of ``tools/train.py`` is built, its parameter
   schedulers are stepped ``--at`` times and the train loop is set to that
   iteration; the weights are the initial ones (no training runs, which
   does not change what a resume has to do).
2. Starts ``tools/train.py CONFIG --resume CKPT`` and measures the wall
   time from the start of the process to its first trained iteration (the
   progress line ``train [...] 2901/3000``), then stops it. For
   comparison it measures the same for a fresh start (iteration 1).

With the shipped ``ResumableIterBasedTrainLoop`` the resume skips the
``--at`` batches by index, so both times are about the same (process start,
imports, model and dataloader build). ``--loop mmengine`` runs mmengine's
``IterBasedTrainLoop`` instead, which loads and augments every skipped
batch (and sleeps 2 s at every epoch end of the data); try it with a small
``--at``. Example::

    python tools/benchmarks/benchmark_resume.py
    python tools/benchmarks/benchmark_resume.py --loop mmengine --at 20
"""
import argparse
import os
import os.path as osp
import glob
import re
import subprocess
import sys
import tempfile
import time
import warnings
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

_LOOPS = dict(resumable='ResumableIterBasedTrainLoop',
              mmengine='IterBasedTrainLoop')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?',
                        default=osp.join(ROOT, 'configs', 'maunet',
                                         'maunet_kvasir.py'))
    parser.add_argument('--data-root',
                        default=osp.join(ROOT, 'tests', 'data',
                                         'kvasir_seg'),
                        help='dataset folder with train/ and val/ (default: '
                        'the shipped sample, used as both)')
    parser.add_argument('--at', type=int, default=2900,
                        help='iteration to resume at (default 2900)')
    parser.add_argument('--loop', choices=sorted(_LOOPS),
                        default='resumable',
                        help='train loop (default: the shipped resumable)')
    parser.add_argument('--work-dir', help='default: a temporary folder')
    parser.add_argument('--timeout', type=float, default=600,
                        help='seconds before a start is given up')
    return parser.parse_args()


def split_layout(root: str, work_dir: str) -> str:
    """``root`` when it has the shipped configs' ``train/`` and ``val/``
    folders; else (the shipped sample, ``images/`` and ``masks/`` only) a
    folder of links that uses it as both."""
    if osp.isdir(osp.join(root, 'train')):
        return root
    linked = osp.join(work_dir, 'data')
    for split in ('train', 'val'):
        os.makedirs(osp.join(linked, split), exist_ok=True)
        for sub in ('images', 'masks'):
            link = osp.join(linked, split, sub)
            if not osp.lexists(link):
                os.symlink(osp.abspath(osp.join(root, sub)), link)
    return linked


def _options(args: argparse.Namespace) -> List[str]:
    return ['--data-root', args.data_root, '--skip-data-check',
            '--cfg-options', f'train_cfg.type={_LOOPS[args.loop]}']


def write_checkpoint(args: argparse.Namespace, work_dir: str) -> str:
    """The checkpoint of iteration ``args.at``, written by a runner built
    as ``tools/train.py`` builds it; returns its path."""
    import medproto  # noqa: F401  (compat layer first)
    from medproto.utils.cli import load_config
    from medproto.utils.console import build_runner
    from medproto.utils.data_root import TRAIN_LOADERS, set_data_root
    from medproto.utils.setup_env import prepare_cfg
    cfg = load_config(args.config)
    set_data_root(cfg, args.data_root, TRAIN_LOADERS, cfg.get('data_root'))
    cfg.train_cfg.type = _LOOPS[args.loop]
    cfg.work_dir = work_dir
    prepare_cfg(cfg)
    runner = build_runner(cfg)
    loop = runner.train_loop  # builds the loop and its dataloader
    if args.at >= loop.max_iters:
        raise SystemExit(f'--at {args.at} must be below train_cfg.max_iters '
                         f'({loop.max_iters})')
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(
        runner.param_schedulers)
    schedulers = runner.param_schedulers
    if isinstance(schedulers, dict):
        schedulers = [s for group in schedulers.values() for s in group]
    with warnings.catch_warnings():  # no optimizer step before these
        warnings.simplefilter('ignore')
        for _ in range(args.at):
            for scheduler in schedulers:
                scheduler.step()
    loop._iter = args.at
    name = f'iter_{args.at}.pth'
    runner.save_checkpoint(work_dir, name)
    return osp.join(work_dir, name)


def time_to_first_iteration(cmd: List[str], first: int,
                            timeout: float) -> Optional[float]:
    """Seconds from starting ``cmd`` to its progress line of iteration
    ``first`` (then it is stopped); None when it never came."""
    pattern = re.compile(rf'^train\s+\[[#.]+\]\s+{first}/\d+')
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seconds, tail = None, []
    try:
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-20:]
            if pattern.search(line.strip()):
                seconds = time.perf_counter() - start
                break
            if time.perf_counter() - start > timeout:
                break
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait()
    if seconds is None:
        print('\n'.join(tail), file=sys.stderr)
    return seconds


def main() -> None:
    args = parse_args()
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='resume_bench_')
    args.data_root = split_layout(args.data_root, work_dir)
    started = time.perf_counter()
    ckpt = write_checkpoint(args, osp.join(work_dir, 'checkpoint'))
    print(f'checkpoint of iteration {args.at}: {ckpt} '
          f'({time.perf_counter() - started:.1f} s to write)')
    train = [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
             args.config]
    fresh = time_to_first_iteration(
        train + ['--work-dir', osp.join(work_dir, 'fresh')] + _options(args),
        1, args.timeout)
    resumed = time_to_first_iteration(
        train + ['--work-dir', osp.join(work_dir, 'resumed'), '--resume',
                 ckpt] + _options(args), args.at + 1, args.timeout)

    def show(value: Optional[float]) -> str:
        return f'{value:.1f} s' if value is not None else \
            f'none within {args.timeout:.0f} s'

    print(f'loop {_LOOPS[args.loop]}, data {args.data_root}')
    print(f'  fresh start, to iteration 1 trained:          {show(fresh)}')
    print(f'  resumed at {args.at}, to iteration {args.at + 1} trained: '
          f'{show(resumed)}')
    for log in glob.glob(osp.join(work_dir, 'resumed', '*', '*.log')):
        with open(log) as f:
            for line in f:
                if 'resumed at iteration' in line or 'Advance dataloader' in \
                        line or 'replaying' in line:
                    print('  log: ' + line.split(' - ')[-1].strip())


if __name__ == '__main__':
    main()
