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
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from medproto.utils.cli import (ConfigError, add_runner_args,  # noqa: E402
                                config_from_args, friendly_errors, preflight)
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
        prepare_cfg(cfg)
        preflight(cfg, check_files=not args.skip_data_check)
        if 'runner_type' not in cfg:
            runner = Runner.from_cfg(cfg)
        else:
            runner = RUNNERS.build(cfg)
        runner.train()


if __name__ == '__main__':
    main()
