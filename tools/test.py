# Copyright (c) medproto contributors. All rights reserved.
"""Evaluate a checkpoint on the test set of a config.

Example::

    python tools/test.py configs/maunet/maunet_kvasir.py work_dirs/maunet_kvasir/best.pth
    python tools/test.py CONFIG CKPT --out results.pkl --show-dir vis
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.evaluator import DumpResults  # noqa: E402

from medproto.utils.cli import (ConfigError, add_runner_args,  # noqa: E402
                                config_from_args, friendly_errors, preflight)
from medproto.utils.console import (build_runner,  # noqa: E402
                                    eval_summary, is_console_rank)
from medproto.utils.data_root import TEST_LOADERS  # noqa: E402
from medproto.utils.paths import find_checkpoint  # noqa: E402
from medproto.utils.setup_env import prepare_cfg  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, or a pattern matching one file '
        '(work_dirs/x/best_Dice_iter_*.pth)')
    parser.add_argument(
        '--out',
        type=str,
        help='dump the predictions to a pickle file (.pkl) for offline '
        'analysis')
    parser.add_argument('--show', action='store_true',
                        help='show prediction results in a window')
    parser.add_argument('--show-dir',
                        help='folder where pictures of the predictions are '
                        'saved')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='the interval of --show (s)')
    add_runner_args(parser)
    return parser.parse_args()


def trigger_visualization_hook(cfg, args) -> None:
    """Switch on the task's visualization hook for --show / --show-dir."""
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise ConfigError(
            "--show/--show-dir need a 'visualization' entry in "
            'default_hooks (see configs/_base_/default_runtime_seg.py)')
    hook = hooks['visualization']
    scope = cfg.get('default_scope', 'mmseg')
    if scope == 'mmpretrain':
        # labels in a strip under an image enlarged to >= 256 px (mmpretrain
        # writes them over the image, off its edge on 128x128 inputs)
        if str(cfg.visualizer.get('type', '')).split('.')[-1] == \
                'UniversalVisualizer':
            cfg.visualizer['type'] = 'ClsLabelVisualizer'
        hook['enable'] = True
        hook['show'] = args.show
        hook['wait_time'] = args.wait_time
        hook['out_dir'] = args.show_dir
        hook['interval'] = 1
    else:
        hook['draw'] = True
        hook['interval'] = 1
        if args.show:
            hook['show'] = True
            hook['wait_time'] = args.wait_time
        if args.show_dir:
            cfg.visualizer['save_dir'] = args.show_dir


def test_folder_name(cfg) -> str:
    """``test_<date>_<time>``, the same in every process of a distributed
    test (rank 0's, broadcast: the processes start at different seconds)."""
    name = time.strftime('test_%Y%m%d_%H%M%S')
    if cfg.get('launcher', 'none') == 'none':
        return name
    from mmengine.dist import broadcast_object_list, init_dist, is_distributed
    if not is_distributed():
        env_cfg = cfg.get('env_cfg') or {}
        # the start method the runner sets (init_dist would pick spawn)
        import torch.multiprocessing as mp
        if mp.get_start_method(allow_none=True) is None:
            mp.set_start_method((env_cfg.get('mp_cfg') or {}).get(
                'mp_start_method', 'fork'))
        init_dist(cfg.launcher, **(env_cfg.get('dist_cfg') or {}))
    names = [name]
    broadcast_object_list(names)
    return names[0]


def main() -> None:
    args = parse_args()
    with friendly_errors(args.debug):
        cfg = config_from_args(args, TEST_LOADERS)
        try:  # a pattern such as best_Dice_iter_*.pth, as teacher_ckpt
            args.checkpoint = find_checkpoint(args.checkpoint)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        cfg.load_from = args.checkpoint
        cfg.resume = False
        # A distiller's checkpoint holds the teacher's weights too; testing
        # evaluates the student and needs no separate teacher checkpoint.
        if isinstance(cfg.get('model'), (dict, ConfigDict)) and \
                'teacher_ckpt' in cfg.model:
            cfg.model.teacher_ckpt = None
        if args.show or args.show_dir:
            trigger_visualization_hook(cfg, args)
        if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out must be a .pkl file, got {args.out}')
        prepare_cfg(cfg)
        if args.work_dir is None:
            # keep the training run's saved config: the test's goes beside it
            cfg.work_dir = osp.join(cfg.work_dir, test_folder_name(cfg))
        preflight(cfg, checkpoint=args.checkpoint, check_train_data=False,
                  check_files=not args.skip_data_check)
        for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler'):
            cfg.pop(key, None)
        # the student is tested; the teacher's weights come with the
        # checkpoint, so the distiller's `teacher_ckpt is None` notice is
        # expected here
        runner = build_runner(cfg, verbose=args.verbose,
                              extra=(r'^teacher_ckpt is None', ))
        if args.out is not None:
            runner.test_evaluator.metrics.append(
                DumpResults(out_file_path=args.out))
        metrics = runner.test()
        if not args.verbose and is_console_rank():
            print(eval_summary(metrics or {}, args.config, args.checkpoint,
                               runner.log_dir, args.show_dir))


if __name__ == '__main__':
    main()
