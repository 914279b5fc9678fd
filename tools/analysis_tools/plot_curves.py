# Copyright (c) medproto contributors. All rights reserved.
"""Plot training / validation curves from mmengine scalar logs.

Example::

    python tools/analysis_tools/plot_curves.py \
        work_dirs/malunet_kvasir/20250101_120000/vis_data/scalars.json \
        work_dirs/maunet_kvasir/20250101_130000/vis_data/scalars.json \
        --keys loss Dice --out curves.png

(``configs/malunet/malunet_kvasir.py`` and ``configs/maunet/maunet_kvasir.py``
write these logs.) The legends default to the work-dir names; two logs of one
work dir (a resumed run) get their timestamp folder added.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from medproto.utils.cli import (ConfigError, add_debug_arg,  # noqa: E402
                                exception_message, friendly_errors)
from medproto.visualization.curves import plot_curves  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot curves from vis_data/scalars.json logs')
    parser.add_argument('logs', nargs='+', help='scalars.json files')
    parser.add_argument('--keys',
                        nargs='+',
                        default=['loss'],
                        help='scalar names to plot, one panel each')
    parser.add_argument('--legend',
                        nargs='+',
                        help='one distinct label per log (default: '
                        'work-dir names)')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--out',
                        default='curves.png',
                        help='output image file')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        try:
            plotted = plot_curves(args.logs, args.keys, args.out, args.legend,
                                  args.title)
        except (KeyError, ValueError) as err:
            raise ConfigError(exception_message(err)) from err
        print(f'curves of {", ".join(args.keys)} written to {args.out}')
    return plotted


if __name__ == '__main__':
    main()
