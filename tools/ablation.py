# Copyright (c) medproto contributors. All rights reserved.
"""Run an ablation grid (configs x seeds) and tabulate mean ± std.

Each run trains with tools/train.py and evaluates its best (else last)
checkpoint with tools/test.py, in ``<work-root>/<grid>/<label>/seed<k>``.
Finished runs are skipped, interrupted ones resumed. See docs/tools.md.

Example::

    python tools/ablation.py configs/ablations/seg_distill_terms.py
    python tools/ablation.py GRID --dry-run
    python tools/ablation.py GRID --only full_kd baseline
    python tools/ablation.py GRID --seeds 42
    python tools/ablation.py GRID --collect-only
    python tools/ablation.py GRID --collect-only --metrics top1 'recall/*'
"""
import argparse
import os.path as osp
import shlex
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from medproto.utils.ablation import (collect_records, report,  # noqa: E402
                                     run_grid, run_state, train_command)
from medproto.utils.ablation_grid import (load_grid, plan_runs,  # noqa: E402
                                          select_runs, with_seeds)
from medproto.utils.cli import (add_cfg_options_arg,  # noqa: E402
                                add_debug_arg, friendly_errors)

TOOLS_DIR = osp.dirname(osp.abspath(__file__))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run an ablation grid')
    parser.add_argument('grid', help='grid file (.py or .yaml), see '
                        'configs/ablations/')
    parser.add_argument('--work-root', default='work_dirs/ablations',
                        help='runs go to <work-root>/<grid name>/<label>/'
                        'seed<k>')
    parser.add_argument('--only', nargs='+', metavar='LABEL',
                        help='run only these labels of the grid (the tables '
                        'still cover the whole grid)')
    parser.add_argument('--seeds', nargs='+', type=int, metavar='SEED',
                        help='replace the grid\'s seeds (e.g. one seed for '
                        'a quick pass)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the runs and their state, run nothing')
    parser.add_argument('--collect-only', action='store_true',
                        help='rewrite results.csv / results.md from the '
                        'finished runs, run nothing')
    parser.add_argument('--metrics', nargs='+', metavar='PATTERN',
                        help='table these metrics instead of the grid\'s '
                        '(keys or shell patterns, e.g. \'recall/*\'), into '
                        'results_<patterns>.csv/.md beside results.*')
    add_cfg_options_arg(
        parser, 'overrides for every run, key=value (after the grid\'s own)')
    add_debug_arg(parser)
    return parser.parse_args()


def print_plan(runs: list) -> None:
    """One line per run: its state and the training command."""
    for i, spec in enumerate(runs, 1):
        argv = train_command(spec, TOOLS_DIR)
        print(f'[{i}/{len(runs)}] {spec.label} seed={spec.seed} '
              f'({run_state(spec.work_dir)}): python {shlex.join(argv)}')


def main() -> int:
    args = parse_args()
    with friendly_errors(args.debug):
        grid = with_seeds(load_grid(args.grid), args.seeds)
        runs = plan_runs(grid, args.work_root, args.cfg_options)
        selected = select_runs(runs, args.only)
        if args.dry_run:
            print_plan(selected)
            return 0
        if not args.collect_only:
            print(f'grid {grid.name}: {len(selected)} run(s) '
                  f'({len(grid.entries)} configs x {len(grid.seeds)} seeds'
                  f'{", filtered by --only" if args.only else ""})')
            run_grid(selected, TOOLS_DIR, grid.metrics)
        csv_path, md_path = report(grid, runs, args.work_root,
                                   metric_patterns=args.metrics)
        print(f'wrote {csv_path} and {md_path}')
        with open(md_path, encoding='utf-8') as f:
            print(f.read())
        failed = [r for r in collect_records(selected) if r.status == 'failed']
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
