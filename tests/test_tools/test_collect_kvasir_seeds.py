# Copyright (c) medproto contributors. All rights reserved.
"""tools/benchmarks/collect_kvasir_seeds.py on made-up counts files."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'benchmarks', 'collect_kvasir_seeds.py')


def _write_counts(path: str, counts: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('img_path,TP,FP,FN,TN\n')
        for i, row in enumerate(counts):
            f.write(f'img{i:03d}.png,' + ','.join(str(int(v)) for v in row)
                    + '\n')


def _dice(counts: np.ndarray) -> float:
    tp, fp, fn = counts[:, 0].sum(), counts[:, 1].sum(), counts[:, 2].sum()
    return 100 * 2 * tp / (2 * tp + fp + fn)


def test_rows_and_pairs(tmp_path):
    rng = np.random.default_rng(0)
    dice = {}
    for prefix in ('maunet', 'maunet_kd_lite0_dicekd_cached', 'maunet_dice2'):
        for seed in ('42', '7'):
            counts = rng.integers(50, 500, size=(30, 4))
            _write_counts(str(tmp_path / f'{prefix}_s{seed}' /
                              'counts_kvasir.csv'), counts)
            dice[prefix, seed] = _dice(counts)
    out = subprocess.run(
        [sys.executable, TOOL, str(tmp_path), '--seeds', '42', '7',
         '--num-resamples', '50'],
        capture_output=True, text=True, check=True).stdout
    row = next(line for line in out.splitlines()
               if line.startswith('| MAUNet + the cached curriculum + soft'))
    mean = np.mean([dice['maunet_kd_lite0_dicekd_cached', s]
                    for s in ('42', '7')])
    assert f'| 42, 7 | {mean:.2f} ± ' in row
    # the pair table has the Dice-KD row minus its control, seeds 42 and 7
    diff = mean - np.mean([dice['maunet_dice2', s] for s in ('42', '7')])
    pair = next(line for line in out.splitlines()
                if ' - MAUNet alone, task Dice weight 2' in line)
    assert f'| Kvasir-SEG val | {diff:+.2f} [' in pair
    assert '(2 seeds)' in pair
    # no CVC counts: no CVC rows, and rows without runs show '-'
    assert 'CVC-ClinicDB 1-317 | ' not in out.split('Difference')[1]
    assert '| MALUNet (teacher) |  | - |' in out
