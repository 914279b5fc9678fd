# Copyright (c) medproto contributors. All rights reserved.
"""Train a segmentor, classifier or distiller from one config file.

Example::

    python tools/train.py configs/maunet/maunet_kd_kvasir.py
    python tools/train.py CONFIG --work-dir work_dirs/run1 --resume
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402

from medproto.utils.cli import (ConfigError, add_runner_args,  # noqa: E402
                                config_from_args, friendly_errors, preflight)
from medproto.utils.console import (build_runner,  # noqa: E402
                                    is_console_rank, train_summary)
from medproto.utils.run_length import (schedule_warnings,  # noqa: E402
                                       set_run_length)
from medproto.utils.setup_env import prepare_cfg  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, resume from '
        'the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic mixed precision training (needs a CUDA GPU)')
    length = parser.add_mutually_exclusive_group()
    length.add_argument(
        '--iters', type=int, metavar='N',
        help='train for N iterations; the learning-rate schedule, validation '
        'and checkpoint intervals and freeze period are scaled with the run '
        '(an epoch-based config runs N iterations, iteration-based)')
    length.add_argument(
        '--epochs', type=int, metavar='N',
        help='train an epoch-based config for N epochs, schedules and '
        'intervals scaled with the run')
    add_runner_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with friendly_errors(args.debug):
        cfg = config_from_args(args)
        if args.amp:
            if not torch.cuda.is_available():
                raise ConfigError('--amp (mixed precision) needs a CUDA GPU '
                                  'and none is available: train without '
                                  '--amp on this machine')
            optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
            if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
                raise ConfigError(f'--amp needs optim_wrapper.type '
                                  f'OptimWrapper or AmpOptimWrapper, got '
                                  f'{optim_wrapper}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        if args.resume == 'auto':
            cfg.resume = True
            cfg.load_from = None
        elif args.resume is not None:
            cfg.resume = True
            cfg.load_from = args.resume
        console = is_console_rank()  # rank 0 of a distributed run
        if args.iters is not None or args.epochs is not None:
            try:
                length = set_run_length(cfg, args.iters, args.epochs)
            except ValueError as err:
                raise ConfigError(str(err)) from None
            if console:
                print(length)
        for warning in schedule_warnings(cfg) if console else ():
            print(f'warning: {warning}', file=sys.stderr)
        prepare_cfg(cfg)
        preflight(cfg, check_files=not args.skip_data_check)
        runner = build_runner(cfg, verbose=args.verbose)
        runner.train()
        if not args.verbose and console:
            print(train_summary(runner, args.config))


if __name__ == '__main__':
    main()
