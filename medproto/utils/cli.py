# Copyright (c) medproto contributors. All rights reserved.
"""Helpers shared by the command-line tools: plain-sentence errors and the
checks a config gets before a runner is built."""
import os
import os.path as osp
import re
import sys
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .data_root import (TEST_LOADERS, TRAIN_LOADERS, missing_data_folders,
                        missing_data_message, set_data_root)
from .paths import (SCOPE_PREFIX, resolve_checkpoint, resolve_config_path,
                    resolve_model_cfg_paths)

__all__ = ['ConfigError', 'friendly_errors', 'load_config', 'preflight',
           'explain_exception', 'exception_message', 'add_debug_arg',
           'add_cfg_options_arg']

_REGISTRY_RE = re.compile(
    r'([\w.]+) is not in the ([\w:]+) registry')


class ConfigError(RuntimeError):
    """A problem in a config or a path it names, said in one sentence."""


def exception_message(err: BaseException) -> str:
    """The message of an exception, without the quotes ``str()`` of a
    ``KeyError`` adds around it (quotes inside the message are kept)."""
    if (isinstance(err, KeyError) and len(err.args) == 1
            and isinstance(err.args[0], str)):
        return err.args[0].strip()
    return str(err).strip()


def explain_exception(err: BaseException) -> Optional[str]:
    """Turn the errors users cause into one plain sentence.

    Returns ``None`` for exceptions that are bugs rather than user errors,
    which are then shown with their traceback.
    """
    from medproto.compat import UnsafeCheckpointError
    from medproto.datasets.checks import DataError
    from medproto.engine.hooks.non_finite_loss_hook import NonFiniteLossError
    text = exception_message(err)
    match = _REGISTRY_RE.search(text)
    if isinstance(err, KeyError) and match:
        name, registry = match.groups()
        scope = registry.split('::')[0]
        hint = ('' if '.' in name else
                f" (medproto's distillation parts are reached as "
                f"'medproto.{name}'; check the spelling and that "
                f"custom_imports names the module that registers it)")
        return (f"unknown type '{name}': it is not registered in the "
                f"{registry} registry (default_scope '{scope}'){hint}.")
    if isinstance(err, (ConfigError, UnsafeCheckpointError,
                        NonFiniteLossError)):
        return text
    if isinstance(err, DataError):
        # from a dataloader worker the message holds the worker's
        # traceback; its last line is the error
        last = text.strip().splitlines()[-1] if text.strip() else text
        return last.split('DataError: ', 1)[-1]
    if isinstance(err, FileNotFoundError):
        return text if text else f'file not found: {err.filename}'
    return None


@contextmanager
def friendly_errors(debug: bool = False) -> Iterator[None]:
    """Print user errors as one sentence and exit with status 1.

    Args:
        debug (bool): Re-raise every exception with its traceback. The
            environment variable ``MEDPROTO_DEBUG=1`` does the same.
    """
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # noqa: BLE001
        if debug or os.environ.get('MEDPROTO_DEBUG'):
            raise
        message = explain_exception(err)
        # mmengine wraps build errors as "class `X` in file.py: <cause>";
        # look through the chain for the first one a user caused.
        cause = err.__cause__ or err.__context__
        while message is None and cause is not None:
            message = explain_exception(cause)
            cause = cause.__cause__ or cause.__context__
        from .console import end_bar_line
        end_bar_line()  # the error starts its own line, after the bar
        if message is None:
            raise
        print(f'error: {message}', file=sys.stderr)
        sys.exit(1)


def add_debug_arg(parser) -> None:
    """Add ``--debug``, which a tool passes on to :func:`friendly_errors`."""
    parser.add_argument('--debug', action='store_true',
                        help='show full tracebacks for every error')


def add_cfg_options_arg(parser, help_text: Optional[str] = None) -> None:
    """Add ``--cfg-options``: ``key=value`` overrides parsed by mmengine's
    ``DictAction``, for ``Config.merge_from_dict``."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=help_text or 'override settings in the config, key=value '
        '(xxx=yyy format)')


def load_config(path: str) -> Config:
    """Load a config file, or a shipped one (``'medproto::<path>'``), with a
    clear error when it is missing. A relative ``cfg_path`` in its model
    that is not found from the current directory is taken relative to the
    config file that writes it (:func:`resolve_model_cfg_paths`)."""
    if path.startswith(SCOPE_PREFIX):
        try:
            path = resolve_config_path(path)
        except FileNotFoundError as err:
            raise ConfigError(str(err)) from None
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, NameError, TypeError, KeyError, ValueError,
            FileNotFoundError, ImportError) as err:
        raise ConfigError(f'cannot read config {path}: '
                          f'{type(err).__name__}: {err}') from err
    try:
        return resolve_model_cfg_paths(cfg)
    except FileNotFoundError as err:
        raise ConfigError(f'{path}: {err}') from None


def _dataset_roots(cfg: Config) -> List[Tuple[str, str]]:
    """(config key, folder) pairs of every dataloader's data folders."""
    found = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        stack = [(f'{loader}.dataset', dataset)]
        while stack:
            key, ds = stack.pop()
            if not isinstance(ds, dict):
                continue
            if 'dataset' in ds:  # wrappers (RepeatDataset, ...)
                stack.append((f'{key}.dataset', ds['dataset']))
            for i, sub in enumerate(ds.get('datasets', []) or []):
                stack.append((f'{key}.datasets[{i}]', sub))
            root = ds.get('data_root')
            if root:
                found.append((f'{key}.data_root', root))
    return found


def preflight(cfg: Config, checkpoint: Optional[str] = None,
              check_train_data: bool = True,
              loaders: Optional[Sequence[str]] = None,
              check_files: bool = False) -> None:
    """Check the paths a config names before anything is built.

    Args:
        cfg (Config): The loaded config.
        checkpoint (str, optional): A checkpoint given on the command line.
        check_train_data (bool): Check ``train_dataloader`` and the teacher
            checkpoint too (False for testing).
        loaders (Sequence[str], optional): The dataloaders whose data folders
            are checked; defaults to train + val (``check_train_data``) or
            test only.
        check_files (bool): Also read every file these dataloaders list
            (:func:`medproto.datasets.checks.check_config_data`; the tools'
            ``--skip-data-check`` turns it off).

    Raises:
        ConfigError: naming every missing data folder and its config key in
            one message, or the missing file.
    """
    if loaders is None:
        loaders = TRAIN_LOADERS if check_train_data else TEST_LOADERS
    missing = missing_data_folders(cfg, loaders)
    if missing:
        raise ConfigError(missing_data_message(missing))
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint file not found: {checkpoint}')
    if cfg.get('resume') and not cfg.get('load_from'):
        check_resume_pointer(cfg.work_dir)
    if cfg.get('sync_bn') and cfg.get('launcher', 'none') != 'none':
        import torch
        if not torch.cuda.is_available():
            raise ConfigError(
                f"sync_bn='{cfg.sync_bn}' needs CUDA GPUs: SyncBatchNorm does "
                f'not run on CPU; train without sync_bn here')
    load_from = cfg.get('load_from')
    if load_from and '://' not in str(load_from) and not osp.isfile(load_from):
        raise ConfigError(f"checkpoint file not found: '{load_from}' "
                          f'(load_from)')
    teacher_ckpt = (cfg.get('model') or {}).get('teacher_ckpt')
    if check_train_data and teacher_ckpt:
        try:
            resolve_checkpoint(teacher_ckpt)
        except (FileNotFoundError, ValueError) as err:
            raise ConfigError(
                f'{err} (model.teacher_ckpt): train the teacher first or '
                f'pass --cfg-options model.teacher_ckpt=/path/to/teacher.pth'
            ) from None
    if check_files:
        from medproto.datasets.checks import check_config_data
        from .console import is_console_rank
        check_config_data(cfg, loaders, progress=is_console_rank())


def check_resume_pointer(work_dir: str) -> None:
    """Check ``work_dir/last_checkpoint`` before ``--resume`` follows it.

    A missing pointer is fine (mmengine starts afresh and says so); an
    empty one or one naming a missing file is a :class:`ConfigError` that
    names the pointer and what to do.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return
    with open(pointer) as f:
        target = f.read().strip()
    found = sorted(p for p in os.listdir(work_dir) if p.endswith('.pth'))
    hint = (f'pass --resume {osp.join(work_dir, found[-1])} (checkpoints '
            f'there: {", ".join(found[:6])})' if found else
            'no checkpoint is left there: delete it to start afresh')
    if not target:
        raise ConfigError(f'{pointer} is empty: {hint}')
    if '://' not in target and not osp.isfile(target):
        raise ConfigError(f'{pointer} names {target}, which does not exist: '
                          f'{hint}')


def add_runner_args(parser) -> None:
    """Add the options train.py and test.py share: ``--work-dir``,
    ``--cfg-options``, ``--launcher``, ``--debug``, ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--data-root',
        help="the dataset folder: replaces the config's data_root in every "
        'dataloader the command uses (train + val, or test)')
    add_cfg_options_arg(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    add_debug_arg(parser)
    parser.add_argument(
        '--skip-data-check', action='store_true',
        help='do not read every listed data file before starting (the '
        'check reads each image header and mask up front)')
    parser.add_argument(
        '--verbose', action='store_true',
        help="mmengine's full console output (environment, config, hook "
        'table, every log line) instead of a progress bar; the log file '
        'always has all of it')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def config_from_args(args,
                     loaders: Sequence[str] = TRAIN_LOADERS) -> Config:
    """Load ``args.config`` and apply the shared options to it.

    Sets ``LOCAL_RANK`` for launchers that do not, the launcher, the
    ``--cfg-options`` overrides, the data folder and the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config name>``).

    The data folder: ``--data-root`` (``args.data_root``) is set in every
    dataset of ``loaders``; ``--cfg-options data_root=DIR`` moves every
    dataset whose ``data_root`` was the config's top-level ``data_root``
    (see :func:`medproto.utils.data_root.set_data_root`).

    Args:
        args (argparse.Namespace): Parsed options of :func:`add_runner_args`.
        loaders (Sequence[str]): The dataloaders the command uses.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    file_root = cfg.get('data_root', None)
    if args.cfg_options is not None:
        from .cfg_options import check_cfg_options
        from .console import is_console_rank
        check_cfg_options(cfg, args.cfg_options, warn=lambda warning: print(
            f'warning: {warning}', file=sys.stderr)
            if is_console_rank() else None)
        cfg.merge_from_dict(args.cfg_options)
        top_root = args.cfg_options.get('data_root', None)
        if top_root is not None:
            _move_data(cfg, str(top_root), loaders, file_root, 'data_root')
    if getattr(args, 'data_root', None):
        _move_data(cfg, args.data_root, loaders, file_root, '--data-root')
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def _move_data(cfg: Config, new_root: str, loaders: Sequence[str],
               file_root: Optional[str], option: str) -> None:
    """:func:`set_data_root` with its refusals as :class:`ConfigError`."""
    try:
        set_data_root(cfg, new_root, loaders, file_root)
    except ValueError as err:
        raise ConfigError(str(err).replace('--data-root', option)) from None
