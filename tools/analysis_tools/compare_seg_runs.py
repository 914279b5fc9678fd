# Copyright (c) medproto contributors. All rights reserved.
"""Compare two segmentation models with a paired bootstrap over images and
seeds: mean Dice (dataset-level and per image) of each, the difference and
its interval.

The inputs are the per-image counts that ``BinarySegMetric`` writes with
``counts_file`` (one file per seed, the same images), e.g.::

    python tools/test.py CONFIG CKPT --cfg-options \
        test_evaluator.counts_file=work_dirs/x/counts_val.csv
    python tools/analysis_tools/compare_seg_runs.py \
        --a kd_s42.csv kd_s7.csv kd_s0.csv --b alone_s42.csv alone_s7.csv \
        alone_s0.csv --names KD alone --block 1

For video frames (CVC-ClinicDB) draw blocks of consecutive frames,
``--block 20``, so that correlated frames are resampled together.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401
import numpy as np  # noqa: E402

from medproto.evaluation.functional import (  # noqa: E402
    format_bootstrap_table, read_counts_file, seg_bootstrap)
from medproto.utils.cli import (ConfigError, add_debug_arg,  # noqa: E402
                                friendly_errors)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description='Paired bootstrap comparison of two segmentation models')
    parser.add_argument('--a', nargs='+', required=True, metavar='CSV',
                        help='model A: counts files, one per seed')
    parser.add_argument('--b', nargs='+', required=True, metavar='CSV',
                        help='model B')
    parser.add_argument('--names', nargs=2, default=['A', 'B'])
    parser.add_argument('--block', type=int, default=1,
                        help='draw images in blocks of this many '
                        'consecutive ones (video frames)')
    parser.add_argument('--num-resamples', type=int, default=2000)
    parser.add_argument('--level', type=float, default=0.95)
    parser.add_argument('--seed', type=int, default=0)
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    with friendly_errors(args.debug):
        names = None
        counts = []
        for side in (args.a, args.b):
            for path in side:
                got, c = read_counts_file(path)
                if names is not None and got != names:
                    raise ConfigError(f'{path} covers other images than '
                                      f'{args.a[0]}')
                names = got
                counts.append(c)
        counts_a = np.stack(counts[:len(args.a)])
        counts_b = np.stack(counts[len(args.a):])
        if args.block < 1:
            raise ConfigError(f'--block must be >= 1, got {args.block}')
        results = seg_bootstrap(counts_a, counts_b, args.num_resamples,
                                args.level, args.block, rng_seed=args.seed)
        print(f'{len(names)} images, {len(args.a)} / {len(args.b)} seeds, '
              f'{args.num_resamples} resamples, blocks of {args.block}')
        print(format_bootstrap_table(results, args.names, args.level))
    return 0


if __name__ == '__main__':
    sys.exit(main())
