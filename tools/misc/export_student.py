# Copyright (c) medproto contributors. All rights reserved.
"""Write the student of a distiller checkpoint as a plain model checkpoint.

The output has the keys of the student alone (``student.`` stripped) and the
``meta`` of the input, so the student's own config loads it::

    python tools/misc/export_student.py \\
        configs/distill_cifar100/kd_r32x4_r8x4_cifar100.py \\
        work_dirs/kd_r32x4_r8x4_cifar100/epoch_240.pth \\
        work_dirs/kd_r32x4_r8x4_cifar100/resnet8x4_student.pth
    python tools/test.py configs/distill_cifar100/resnet8x4_cifar100.py \\
        work_dirs/kd_r32x4_r8x4_cifar100/resnet8x4_student.pth
"""
import argparse
import copy
import io
import os.path as osp
import sys
from collections import OrderedDict
from typing import List, Optional

sys.path.insert(
    0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401  (installs the compat layer first)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

from medproto.compat import atomic_write_bytes, safe_torch_load  # noqa: E402
from medproto.utils.cli import (ConfigError,  # noqa: E402
                                add_cfg_options_arg, add_debug_arg,
                                friendly_errors, load_config)

PREFIX = 'student.'


def student_state_dict(checkpoint: dict, filename: str) -> OrderedDict:
    """The ``student.*`` entries of a distiller checkpoint, prefix removed.

    Args:
        checkpoint (dict): The loaded checkpoint.
        filename (str): Its path, for error messages.

    Returns:
        OrderedDict: The student's state dict.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    student = OrderedDict()
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key.startswith(PREFIX):
            student[key[len(PREFIX):]] = value
    if not student:
        raise ConfigError(f"checkpoint {filename} has no '{PREFIX}' keys: it "
                          'is not a distiller checkpoint')
    return student


def verify_student(cfg: Config, state_dict: OrderedDict) -> None:
    """Build the student of ``cfg`` and load ``state_dict`` strictly.

    Args:
        cfg (Config): The distiller config.
        state_dict (OrderedDict): The exported weights.
    """
    student_cfg = copy.deepcopy(cfg.model['student'])
    if cfg.get('data_preprocessor') is not None:
        student_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    init_default_scope(cfg.get('default_scope'))
    student = MODELS.build(student_cfg)
    try:
        student.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        details = '; '.join(
            line.strip() for line in str(err).splitlines()[1:4])
        raise ConfigError('the exported weights do not fit the student of '
                          f'the config: {details}') from None


def export_student(config: str,
                   checkpoint: str,
                   out: str,
                   cfg_options: Optional[dict] = None,
                   verify: bool = True) -> dict:
    """Export the student of ``checkpoint`` to ``out``.

    Args:
        config (str): The distiller config the checkpoint was trained with.
        checkpoint (str): The distiller checkpoint.
        out (str): Output path; written atomically.
        cfg_options (dict, optional): Overrides merged into the config.
        verify (bool): Load the weights into the config's student first.
            Defaults to True.

    Returns:
        dict: The written checkpoint (``meta`` and ``state_dict``).
    """
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not isinstance(cfg.get('model'), dict) or 'student' not in cfg.model:
        raise ConfigError(f'{config} is not a distiller config: its model '
                          "has no 'student'")
    loaded = safe_torch_load(checkpoint)
    if not isinstance(loaded, dict):
        raise ConfigError(f'checkpoint {checkpoint} holds a '
                          f'{type(loaded).__name__}, not a dict')
    state_dict = student_state_dict(loaded, checkpoint)
    if verify:
        verify_student(cfg, state_dict)
    exported = dict(meta=loaded.get('meta', {}), state_dict=state_dict)
    buffer = io.BytesIO()
    torch.save(exported, buffer)
    atomic_write_bytes(buffer.getvalue(), out)
    return exported


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the student of a distiller checkpoint')
    parser.add_argument('config', help='distiller config file')
    parser.add_argument('checkpoint', help='distiller checkpoint')
    parser.add_argument('out', help='output student checkpoint')
    parser.add_argument(
        '--no-verify',
        action='store_true',
        help='do not load the weights into the config\'s student first')
    add_cfg_options_arg(parser)
    add_debug_arg(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    with friendly_errors(args.debug):
        exported = export_student(args.config, args.checkpoint, args.out,
                                  args.cfg_options, not args.no_verify)
        print(f'wrote {len(exported["state_dict"])} student tensors to '
              f'{args.out}')


if __name__ == '__main__':
    main()
