# Copyright (c) medproto contributors. All rights reserved.
"""Print the tables of docs/results.md ("Does distillation pay?") from the
work dirs of tools/benchmarks/run_kvasir_kd_seeds.sh: per row, Dice and
per-image Dice on Kvasir-SEG val and CVC-ClinicDB 1-317 as mean +- sample
std over seeds (each seed's value beside it), and for every distilled row
the paired bootstrap interval of its difference to MAUNet alone (images and
seeds resampled; CVC frames in blocks of consecutive frames).

Example::

    python tools/benchmarks/collect_kvasir_seeds.py work_dirs/kvasir_kd_seeds
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402

from medproto.evaluation.functional import (  # noqa: E402
    read_counts_file, seg_bootstrap, seg_metrics)

ROWS = [('EfficientNet-Lite0 U-Net (pretrained teacher)', 'lite0_teacher'),
        ('MALUNet (teacher)', 'malunet'),
        ('MAUNet alone', 'maunet'),
        ('MAUNet + curriculum KD from MALUNet', 'maunet_kd_malunet'),
        ('MAUNet + curriculum KD from the pretrained teacher',
         'maunet_kd_lite0'),
        ('MAUNet + pixel KD + L2 from the pretrained teacher (no curriculum)',
         'maunet_kd_lite0_outputs'),
        ('MAUNet + imitation stage only from the pretrained teacher',
         'maunet_kd_lite0_imitation'),
        ('MAUNet + curriculum KD from the pretrained teacher, teacher-output '
         'cache (K = 8)', 'maunet_kd_lite0_cached'),
        ('MAUNet + the cached curriculum + soft-Dice KD',
         'maunet_kd_lite0_dicekd_cached'),
        ('MAUNet + imitation stage only from the pretrained teacher, '
         'teacher-output cache', 'maunet_kd_lite0_imitation_cached'),
        ('MAUNet + preference stage only from the pretrained teacher, '
         'teacher-output cache', 'maunet_kd_lite0_preference_cached'),
        ('MAUNet + the cached curriculum, cheaper settings (skips pooled to '
         '32x32, 64 InfoNCE pixels)', 'maunet_kd_lite0_fast_cached'),
        ('MAUNet alone, task Dice weight 2 (control of the Dice KD row)',
         'maunet_dice2'),
        # the same config and seed as 'maunet' with mmengine's
        # IterBasedTrainLoop + DefaultSampler (another data order)
        ('MAUNet alone, mmengine sampler', 'maunet_defaultsampler')]
BASELINE = 'maunet'
# further differences (row A - row B) that the docs discuss
PAIRS = [('maunet_kd_lite0_dicekd_cached', 'maunet_dice2'),
         ('maunet_kd_lite0_dicekd_cached', 'maunet_kd_lite0_cached'),
         ('maunet_kd_lite0_imitation_cached', 'maunet_kd_lite0_cached'),
         ('maunet_kd_lite0_preference_cached', 'maunet_kd_lite0_cached'),
         ('maunet_kd_lite0_fast_cached', 'maunet_kd_lite0_cached')]
# (name, counts file suffix, bootstrap block): CVC-ClinicDB's 612 frames
# come from 29 videos, about 21 consecutive frames each.
DATASETS = [('Kvasir-SEG val', 'kvasir', 1),
            ('CVC-ClinicDB 1-317', 'cvc', 20)]


def runs(root: str, prefix: str, seeds: List[str], data: str) -> Dict:
    """seed -> counts (N, 4) of the runs that exist."""
    found = {}
    for seed in seeds:
        path = osp.join(root, f'{prefix}_s{seed}', f'counts_{data}.csv')
        if osp.isfile(path):
            found[seed] = read_counts_file(path)[1]
    return found


def cell(values: List[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return (f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f} '
            f'({" / ".join(f"{v:.1f}" for v in values)})')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument('root', help='WORK_ROOT of run_kvasir_kd_seeds.sh')
    parser.add_argument('--seeds', nargs='+', default=['42', '7', '0'])
    parser.add_argument('--num-resamples', type=int, default=5000)
    args = parser.parse_args()
    print('| model | seeds | ' + ' | '.join(
        f'{name} {m}' for name, _, _ in DATASETS
        for m in ('Dice', 'mDice per image')) + ' |')
    print('|---|---|' + '---|' * 2 * len(DATASETS))
    for label, prefix in ROWS:
        cells, seeds = [], set()
        for _, data, _ in DATASETS:
            found = runs(args.root, prefix, args.seeds, data)
            seeds |= set(found)
            for key in ('Dice', 'mDice_per_image'):
                cells.append(cell([float(seg_metrics(c)[key][0])
                                   for c in found.values()]))
        order = [s for s in args.seeds if s in seeds]
        print(f'| {label} | {", ".join(order)} | ' + ' | '.join(cells) + ' |')
    print()
    print('Difference to MAUNet alone, paired bootstrap over images and '
          f'seeds ({args.num_resamples} resamples, 95 % interval):')
    print()
    print('| distilled row | data | Dice diff [interval] | per-image Dice '
          'diff [interval] | ahead at every seed |')
    print('|---|---|---|---|---|')
    for label, prefix in ROWS[3:]:
        print_differences(args, label, prefix, BASELINE)
    names = dict((prefix, label) for label, prefix in ROWS)
    print()
    print('Further differences (row A - row B), same bootstrap:')
    print()
    print('| row A - row B | data | Dice diff [interval] | per-image Dice '
          'diff [interval] | A ahead at every seed |')
    print('|---|---|---|---|---|')
    for a, b in PAIRS:
        print_differences(args, f'{names[a]} - {names[b]}', a, b)


def print_differences(args: argparse.Namespace, label: str, prefix: str,
                      baseline: str) -> None:
    """Table rows: ``prefix`` - ``baseline`` on every data set, over the
    seeds both have."""
    for name, data, block in DATASETS:
        ours = runs(args.root, prefix, args.seeds, data)
        base = runs(args.root, baseline, args.seeds, data)
        seeds = [s for s in args.seeds if s in ours and s in base]
        if not seeds:
            continue
        res = seg_bootstrap(np.stack([ours[s] for s in seeds]),
                            np.stack([base[s] for s in seeds]),
                            args.num_resamples, block=block)
        every = all(seg_metrics(ours[s])['Dice'][0] >
                    seg_metrics(base[s])['Dice'][0] for s in seeds)
        print(f'| {label} | {name} | ' + ' | '.join(
            f'{res[k].diff:+.2f} [{res[k].low:+.2f}, {res[k].high:+.2f}]'
            for k in ('Dice', 'mDice_per_image')) +
            f' | {"yes" if every else "no"} ({len(seeds)} seed'
            f'{"s" if len(seeds) > 1 else ""}) |')

if __name__ == '__main__':
    main()
