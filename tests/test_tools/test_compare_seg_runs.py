# Copyright (c) medproto contributors. All rights reserved.
import csv
import os.path as osp
import subprocess
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(__file__)))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'compare_seg_runs.py')


def write_counts(path, counts, names):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['img_path', 'TP', 'FP', 'FN', 'TN'])
        for name, row in zip(names, counts):
            w.writerow([f'/data/val/{name}', *row])


def test_tool_prints_the_means_difference_and_verdict(tmp_path):
    rng = np.random.default_rng(0)
    names = [f'{i:03d}.png' for i in range(20)]
    files = {}
    for side, shift in (('a', 200), ('b', 0)):
        for seed in range(2):
            tp = rng.integers(100, 400, 20) + shift
            counts = np.stack([tp, np.full(20, 50), np.full(20, 60),
                               np.full(20, 5000)], 1)
            order = rng.permutation(20)  # rows in any order
            path = tmp_path / f'{side}{seed}.csv'
            write_counts(path, counts[order], [names[i] for i in order])
            files.setdefault(side, []).append(str(path))
    out = subprocess.run(
        [sys.executable, TOOL, '--a', *files['a'], '--b', *files['b'],
         '--names', 'KD', 'alone', '--num-resamples', '200'],
        capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert '20 images, 2 / 2 seeds' in out.stdout
    dice_line = next(l for l in out.stdout.splitlines()
                     if l.startswith('Dice'))
    assert 'KD ahead' in dice_line


def test_other_images_is_one_line(tmp_path):
    write_counts(tmp_path / 'a.csv', [[1, 1, 1, 1]], ['x.png'])
    write_counts(tmp_path / 'b.csv', [[1, 1, 1, 1]], ['y.png'])
    out = subprocess.run(
        [sys.executable, TOOL, '--a', str(tmp_path / 'a.csv'), '--b',
         str(tmp_path / 'b.csv')], capture_output=True, text=True, cwd=REPO)
    assert out.returncode != 0
    assert 'covers other images' in out.stderr
    assert 'Traceback' not in out.stderr
