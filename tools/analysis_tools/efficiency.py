# Copyright (c) medproto contributors. All rights reserved.
"""Parameters, MACs and latency of the model of a config.

Example::

    python tools/analysis_tools/efficiency.py \
        configs/maunet/maunet_kvasir.py \
        --shape 256 256 --batch-sizes 1 8 --device cpu --out report.json

On a machine shared with other jobs, ``--threads 1`` times with one CPU
thread (``torch.set_num_threads``; by default PyTorch's own thread count).

For a distillation config (``model.student``) only the student is built and
measured: it is the model that gets deployed, and the teacher's checkpoint
is not needed. MACs are mmengine ``FlopAnalyzer`` counts (one fused
multiply-add = 1), i.e. what papers usually call FLOPs.
"""
import argparse
import json
import os.path as osp
import platform
import sys
from typing import List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from prettytable import PrettyTable  # noqa: E402
from torch import nn  # noqa: E402

from medproto.utils.cli import (add_cfg_options_arg,  # noqa: E402
                                add_debug_arg, friendly_errors,
                                load_config)
from medproto.utils.efficiency import (count_flops,  # noqa: E402
                                       count_params, measure_latency)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Report parameters, MACs and latency of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape',
                        type=int,
                        nargs=2,
                        default=[256, 256],
                        metavar=('H', 'W'),
                        help='input height and width')
    parser.add_argument('--in-channels',
                        type=int,
                        default=3,
                        help='input channels')
    parser.add_argument('--batch-sizes',
                        type=int,
                        nargs='+',
                        default=[1, 8],
                        help='batch sizes to time')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    parser.add_argument('--warmup',
                        type=int,
                        default=10,
                        help='untimed passes per batch size')
    parser.add_argument('--iters',
                        type=int,
                        default=50,
                        help='timed passes per batch size')
    parser.add_argument('--threads',
                        type=int,
                        help='torch.set_num_threads for the timing, e.g. 1 '
                        "on a shared machine (default: PyTorch's default)")
    parser.add_argument('--out', help='write the report to this JSON file')
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads must be positive, got {args.threads}')
    return args


def build_deployed_model(cfg: Config) -> nn.Module:
    """Build ``cfg.model``, or only its student for a distiller config.

    Args:
        cfg (Config): The loaded config.

    Returns:
        nn.Module: The model to measure.
    """
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = cfg.model
    if 'student' in model_cfg:
        model_cfg = model_cfg['student']
    model = MODELS.build(model_cfg)
    return getattr(model, 'student', model)


def format_table(report: dict) -> str:
    """Render the report as a table, one row per batch size."""
    table = PrettyTable()
    table.field_names = [
        'batch', 'params (M)', 'MACs (G, per image)', 'median (ms)',
        'p90 (ms)', 'per image (ms)', 'images/s'
    ]
    for batch_size, timing in report['latency'].items():
        table.add_row([
            batch_size, f"{report['params'] / 1e6:.4f}",
            f"{report['macs'] / 1e9:.4f}", f"{timing['median_ms']:.3f}",
            f"{timing['p90_ms']:.3f}", f"{timing['per_image_ms']:.3f}",
            f"{timing['images_per_s']:.1f}"
        ])
    return table.get_string()


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with friendly_errors(args.debug):
        cfg = load_config(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        model = build_deployed_model(cfg)
        shape = (args.in_channels, *args.shape)
        macs = count_flops(model, shape)
        latency = measure_latency(model, shape, args.batch_sizes, args.warmup,
                                  args.iters, args.device)
        report = dict(config=args.config,
                      model=type(model).__name__,
                      input_shape=list(shape),
                      params=count_params(model),
                      macs=macs,
                      macs_counter='mmengine.analysis.FlopAnalyzer '
                      '(one fused multiply-add = 1)',
                      device=args.device,
                      torch=torch.__version__,
                      threads=torch.get_num_threads(),
                      cpu=platform.processor() or platform.machine(),
                      latency={
                          str(b): t
                          for b, t in latency.items()
                      })
        print(f"{report['model']} on {args.device}, input "
              f"{tuple(shape)}")
        print(format_table(report))
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(report, f, indent=2)
            print(f'report written to {args.out}')
    return report


if __name__ == '__main__':
    main()
