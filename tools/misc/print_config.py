# Copyright (c) medproto contributors. All rights reserved.
"""Print the resolved config: every ``_base_`` merged, ``--cfg-options``
applied, as mmseg's and mmpretrain's ``print_config.py`` do.

Example::

    python tools/misc/print_config.py configs/maunet/maunet_kd_kvasir.py
    python tools/misc/print_config.py medproto::maunet/maunet_kd_kvasir.py \\
        --cfg-options train_cfg.max_iters=600
    python tools/misc/print_config.py CONFIG --format json > resolved.json

``--format json`` writes the plain values with sorted keys (tuples become
lists), for comparing two configs with ``diff``.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
from mmengine.config import Config  # noqa: E402

from medproto.utils.cli import (add_cfg_options_arg,  # noqa: E402
                                add_debug_arg, friendly_errors, load_config)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print the resolved config (bases merged, overrides '
        'applied)')
    parser.add_argument(
        'config', help="config file, or a shipped one as 'medproto::<path>'")
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--format',
        choices=['py', 'json'],
        default='py',
        help="'py': the config as Python (Config.pretty_text, default); "
        "'json': its values with sorted keys")
    add_debug_arg(parser)
    return parser.parse_args(argv)


def render(cfg: Config, fmt: str) -> str:
    """The text of ``cfg`` in the format ``fmt`` ('py' or 'json')."""
    if fmt == 'json':
        return json.dumps(cfg.to_dict(), indent=2, sort_keys=True)
    return cfg.pretty_text


def main(argv=None) -> None:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        cfg = load_config(args.config)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        print(render(cfg, args.format))


if __name__ == '__main__':
    main()
