# Copyright (c) medproto contributors. All rights reserved.
"""Build a teacher-output cache for distillation without the teacher's
forward pass in every step.

For every training image of CONFIG (a distillation config whose train
pipeline holds ``ViewAugment``) and every one of its K views, the teacher
of CONFIG, loaded from TEACHER_CKPT, runs once; the values of all its
recorders are stored as float16 in DIR (one ``<recorder>.npy`` of shape
(N, K, ...) each, plus ``meta.json`` with the fingerprint). The folder is
written as ``DIR.tmp`` and renamed when complete. Train from it with
``model.teacher_cache=DIR`` (see docs/distillation.md)::

    python tools/misc/build_teacher_cache.py \\
        configs/maunet/maunet_kd_cached_kvasir.py \\
        work_dirs/malunet_kvasir/best_Dice_iter_3000.pth \\
        --num-views 8 --out work_dirs/teacher_cache/malunet_kvasir_k8
"""
import argparse
import copy
import os.path as osp
import sys
import time
from typing import List, Optional

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DATASETS, MODELS  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from medproto.distill.teacher_cache import (build_teacher_cache,  # noqa: E402
                                            cache_size_bytes, pipeline_of,
                                            view_augment_of)
from medproto.utils.cli import (ConfigError,  # noqa: E402
                                add_cfg_options_arg, add_debug_arg,
                                friendly_errors, load_config)


def set_num_views(cfg: Config, num_views: Optional[int]) -> int:
    """The K of the config's ``ViewAugment``, replaced by ``num_views``
    when given.

    Args:
        cfg (Config): The distillation config (changed in place).
        num_views (int, optional): ``--num-views``.

    Returns:
        int: K.
    """
    view_cfg = view_augment_of(pipeline_of(cfg.train_dataloader.dataset))
    if num_views is None:
        return int(view_cfg['num_views'])
    if num_views < 1:
        raise ConfigError(f'--num-views must be >= 1, got {num_views}')
    if int(view_cfg['num_views']) != num_views:
        print(f'note: the config draws from num_views='
              f'{view_cfg["num_views"]} views; this cache has {num_views}: '
              f'train with --cfg-options train_dataloader.dataset.pipeline'
              f'.<i>.num_views={num_views} (or edit the config), else the '
              f'distiller refuses the cache')
        view_cfg['num_views'] = num_views
    return num_views


def build_distiller(cfg: Config, teacher_ckpt: str):
    """The config's distiller, live (no cache), with ``teacher_ckpt``."""
    model_cfg = copy.deepcopy(cfg.model)
    if not isinstance(model_cfg, dict) or 'teacher' not in model_cfg:
        raise ConfigError('the config is not a distillation config: its '
                          "model has no 'teacher'")
    model_cfg['teacher_ckpt'] = teacher_ckpt
    model_cfg['teacher_cache'] = None
    if cfg.get('data_preprocessor') is not None:  # as mmengine's Runner
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def run(config: str, teacher_ckpt: str, out: str,
        num_views: Optional[int] = None, batch_size: int = 16,
        num_workers: int = 2, overwrite: bool = False,
        cfg_options: Optional[dict] = None, progress: bool = True) -> dict:
    """Build the cache of ``config`` in ``out``; returns its meta data."""
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if batch_size < 1 or num_workers < 0:
        raise ConfigError('--batch-size must be >= 1 and --workers >= 0')
    if osp.exists(out) and not overwrite:
        raise ConfigError(f'teacher cache {out} exists; choose another --out '
                          'or pass --overwrite')
    k = set_num_views(cfg, num_views)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    distiller = build_distiller(cfg, teacher_ckpt)
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset = DATASETS.build(dataset_cfg)
    print(f'{len(dataset)} images x {k} views, teacher '
          f'{type(distiller.teacher).__name__}, recorders '
          f'{distiller.teacher_recorders.names}')
    return build_teacher_cache(
        distiller, dataset, cfg.train_dataloader.dataset, out,
        batch_size=batch_size, num_workers=num_workers, overwrite=overwrite,
        progress=progress,
        info=dict(config=config, teacher_ckpt=teacher_ckpt,
                  torch=torch.__version__))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build a teacher-output cache (K views per training '
        'image) for a distillation config')
    parser.add_argument('config', help='distillation config whose train '
                        'pipeline uses ViewAugment')
    parser.add_argument('teacher_ckpt', help='teacher checkpoint')
    parser.add_argument('--out', required=True, help='cache folder to create')
    parser.add_argument('--num-views', type=int, default=None,
                        help="K (default: the config's ViewAugment "
                        'num_views)')
    parser.add_argument('--batch-size', type=int, default=16,
                        help='views per teacher forward (default 16)')
    parser.add_argument('--workers', type=int, default=2,
                        help='data loading processes (default 2)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing cache folder')
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    with friendly_errors(args.debug):
        start = time.perf_counter()
        meta = run(args.config, args.teacher_ckpt, args.out, args.num_views,
                   args.batch_size, args.workers, args.overwrite,
                   args.cfg_options)
        size = cache_size_bytes(args.out)
        views = meta['num_samples'] * meta['num_views']
        print(f'\nwrote {args.out}: {meta["num_samples"]} images x '
              f'{meta["num_views"]} views, recorders '
              + ', '.join(f'{n} {tuple(r["shape"])}'
                          for n, r in meta['recorders'].items()))
        print(f'build time {time.perf_counter() - start:.1f} s (teacher '
              f'pass {meta["build"]["seconds"]:.1f} s); size '
              f'{size / 2**20:.1f} MiB ({size / views / 2**10:.1f} KiB per '
              'view)')


if __name__ == '__main__':
    main()
