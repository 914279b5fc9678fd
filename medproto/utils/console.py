# Copyright (c) medproto contributors. All rights reserved.
"""A quiet console for the tools: what a user needs on screen, the rest in
the log file.

mmengine's runner writes the environment, the whole config and the hook
table (hundreds of lines) to the console before the first iteration, then a
log line every ``logger.interval`` iterations. ``tools/train.py`` and
``tools/test.py`` (unless ``--verbose``) build their runner through
:func:`quiet_runner_class`: the console handler of the run's logger gets a
:class:`ConsoleFilter` that keeps those dumps and the per-iteration lines in
the log file only (``work_dir/<timestamp>/<timestamp>.log``), and
:class:`~medproto.engine.hooks.ProgressBarHook` shows the progress instead.
:func:`silence_expected_warnings` hides the Python warnings a medproto run
triggers by design, and :func:`train_summary` / :func:`eval_summary` write
the lines that end a run.
"""
import glob
import logging
import os
import os.path as osp
import re
import sys
import warnings
from typing import Dict, List, Mapping, Optional, Sequence, Type

__all__ = ['ConsoleFilter', 'quiet_runner_class', 'silence_expected_warnings',
           'build_runner', 'train_summary', 'eval_summary',
           'kd_configs_for_teacher', 'end_bar_line', 'is_console_rank',
           'distributed_line']

#: Log messages kept out of the console (they stay in the log file).
FILE_ONLY_PATTERNS = (
    r'^\s*-{20,}\s*System environment',  # runner._log_env
    r'^Config:\n',
    r'^Hooks will be executed in the following order',
    r'^Distributed training is not used',
    r'^Checkpoints will be saved to',
    r'^Saving checkpoint at',
    r'^Exp name:',
    r'^The prefix is not set in metric class',
    r'"FileClient" will be deprecated',
    r'"HardDiskBackend" is the alias',
    r'^Reach the end of the dataloader',
    r'^Loads checkpoint by',
    r'^The previous best checkpoint .* is removed',
    # per-iteration lines: ProgressBarHook shows the progress instead
    r'^(Epoch|Iter)\((train|val|test)\)\s*\[.*\]\s.*\beta: ',
)

#: Python warnings that a medproto run causes by design and that ask
#: nothing of the user (message regex, category).
EXPECTED_WARNINGS = (
    # the test pipeline has no visualization unless --show-dir
    (r'The draw is False', UserWarning),
    # mmseg's decode head, for every 2-class head; medproto's binary heads
    # use two channels (softmax) on purpose
    (r'For binary segmentation, we suggest using', UserWarning),
    # mmseg's own heads call its deprecated builder
    (r'``build_loss`` would be deprecated', UserWarning),
    # setuptools' notice when mmengine imports pkg_resources
    (r'pkg_resources is deprecated', UserWarning),
    (r'.*pkg_resources.*', DeprecationWarning),
    # mmengine, in every process of a distributed run: the one-thread
    # default torchrun applies too (set OMP/MKL_NUM_THREADS to choose)
    (r'Setting (OMP|MKL)_NUM_THREADS environment variable for each',
     UserWarning),
    # DDP, once per run: the depthwise 7x7 convolutions of the ConvNeXt
    # students get gradients in another memory layout than DDP's buckets
    # (a copy, no error); nothing for the user to change
    (r'Grad strides do not match bucket view strides', UserWarning),
)

#: Environment variables a launcher sets to a process's global rank, read
#: before the process group exists (torchrun, slurm, Open MPI).
RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK')

_BAR_ACTIVE = {'tty': False}


class ConsoleFilter(logging.Filter):
    """Drop the messages of :data:`FILE_ONLY_PATTERNS` (and ``extra``)
    from one handler.

    On a terminal, it also clears a progress bar line before a message is
    printed so the message does not run into the bar.

    Args:
        extra (Sequence[str]): More message regexes to keep off the console,
            e.g. the ``teacher_ckpt is None`` notice of ``tools/test.py``.
    """

    def __init__(self, extra: Sequence[str] = ()) -> None:
        super().__init__('medproto.console')
        self.patterns = [re.compile(p, re.S)
                         for p in (*FILE_ONLY_PATTERNS, *extra)]

    def filter(self, record: logging.LogRecord) -> bool:
        """False for messages that belong in the log file only."""
        message = record.getMessage()
        if any(p.search(message) for p in self.patterns):
            return False
        if _BAR_ACTIVE['tty']:
            sys.stdout.write('\r\033[K')
        return True


def console_handlers(logger: logging.Logger) -> List[logging.Handler]:
    """The stream (not file) handlers of ``logger``."""
    return [h for h in logger.handlers
            if isinstance(h, logging.StreamHandler)
            and not isinstance(h, logging.FileHandler)]


def quiet_runner_class(runner_cls: Type, extra: Sequence[str] = ()) -> Type:
    """A subclass of ``runner_cls`` whose logger has a quiet console.

    Args:
        runner_cls (type): mmengine's ``Runner`` or a subclass of it.
        extra (Sequence[str]): More messages to keep off the console.

    Returns:
        type: ``Quiet<runner_cls>``; build it with ``.from_cfg(cfg)``.
    """

    def build_logger(self, *args, **kwargs):
        logger = runner_cls.build_logger(self, *args, **kwargs)
        for handler in console_handlers(logger):
            if not any(isinstance(f, ConsoleFilter) for f in handler.filters):
                handler.addFilter(ConsoleFilter(extra))
        return logger

    return type(f'Quiet{runner_cls.__name__}', (runner_cls, ),
                dict(build_logger=build_logger))


def build_runner(cfg, verbose: bool = False, extra: Sequence[str] = ()):
    """Build the runner of ``cfg`` (``runner_type`` or mmengine's Runner).

    Unless ``verbose``, the console is quiet (:func:`quiet_runner_class`),
    the expected warnings are silenced and ``cfg.custom_hooks`` gets a
    :class:`~medproto.engine.hooks.ProgressBarHook`.

    Args:
        cfg (Config): The prepared config.
        verbose (bool): Keep mmengine's full console output.
        extra (Sequence[str]): More messages to keep off the console.

    Returns:
        Runner: The runner.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    runner_cls = RUNNERS.get(cfg.runner_type) if cfg.get(
        'runner_type') else Runner
    check_vis_backends(cfg)
    if verbose:
        return runner_cls.from_cfg(cfg)
    silence_expected_warnings()
    route_checkpoint_notice()
    if not is_console_rank():
        # the other processes of a distributed run repeat rank 0's
        # warnings; their errors still reach the console
        warnings.simplefilter('ignore')
    hooks = list(cfg.get('custom_hooks') or [])
    if is_console_rank() and not any(
            str(h.get('type', '')).endswith('ProgressBarHook')
            for h in hooks):
        hooks.append(dict(type='medproto.ProgressBarHook'))
    cfg.custom_hooks = hooks
    runner = quiet_runner_class(runner_cls, extra).from_cfg(cfg)
    if runner.distributed and is_console_rank():
        print(distributed_line(runner), flush=True)
    return runner


def route_checkpoint_notice() -> None:
    """Send mmengine's ``Loads checkpoint by ... from path`` notice to the
    current logger (so the log file only, :data:`FILE_ONLY_PATTERNS`).

    ``Runner.load_checkpoint`` asks for it with ``logger=None``, which
    mmengine's ``print_log`` prints to the console as a bare line, beside
    the runner's own ``Load checkpoint from ...``.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    original = CheckpointLoader.load_checkpoint.__func__
    if getattr(original, 'routed_by_medproto', False):
        return

    def load_checkpoint(cls, filename, map_location=None, logger='current'):
        return original(cls, filename, map_location, logger or 'current')

    load_checkpoint.routed_by_medproto = True
    CheckpointLoader.load_checkpoint = classmethod(load_checkpoint)


def is_console_rank() -> bool:
    """Whether this process writes the console of a run: the only process,
    or rank 0 of a distributed run (read from the launcher's environment,
    :data:`RANK_VARIABLES`, so it holds before the process group exists)."""
    for name in RANK_VARIABLES:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value) == 0
    return True


def distributed_line(runner) -> str:
    """One line saying how a distributed run is set up.

    Args:
        runner: A built runner whose ``distributed`` is True.

    Returns:
        str: e.g. ``distributed: 2 processes (launcher pytorch, backend
        gloo); console and log file of rank 0, batch 4 per process``.
    """
    import torch.distributed as dist
    backend = dist.get_backend() if dist.is_initialized() else 'unknown'
    batch = (runner.cfg.get('train_dataloader') or {}).get('batch_size')
    per_process = (f', training batch {batch} per process '
                   f'({batch * runner.world_size} per step)'
                   if isinstance(batch, int) and runner.cfg.get('train_cfg')
                   else '')
    return (f'distributed: {runner.world_size} processes (launcher '
            f'{runner.launcher}, backend {backend}); console and log file '
            f'of rank 0{per_process}')


def check_vis_backends(cfg) -> None:
    """One line saying what to install when a configured TensorBoard or
    W&B backend's package is missing (mmengine fails at the first write).

    Raises:
        ConfigError: Naming the backend and the ``pip install`` command.
    """
    import importlib.util

    from .cli import ConfigError
    needs = dict(TensorboardVisBackend='tensorboard',
                 WandbVisBackend='wandb', MLflowVisBackend='mlflow')
    backends = list((cfg.get('visualizer') or {}).get('vis_backends') or [])
    for backend in backends:
        name = str(backend.get('type', '')).split('.')[-1]
        package = needs.get(name)
        if package and importlib.util.find_spec(package) is None:
            raise ConfigError(f'{name} (visualizer.vis_backends) needs the '
                              f'{package} package: pip install {package}')


def silence_expected_warnings() -> None:
    """Ignore the Python warnings of :data:`EXPECTED_WARNINGS`."""
    for message, category in EXPECTED_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


def set_bar_active(active: bool) -> None:
    """Tell :class:`ConsoleFilter` whether a bar line is on a terminal."""
    _BAR_ACTIVE['tty'] = active


def bar_active() -> bool:
    """Whether a progress bar line is open on the terminal."""
    return _BAR_ACTIVE['tty']


def end_bar_line() -> None:
    """End an open progress bar line on the terminal and flush stdout, so
    that a message printed next (e.g. the one-line error of a stopped run)
    starts on its own line instead of running into the bar."""
    if _BAR_ACTIVE['tty']:
        sys.stdout.write('\n')
        _BAR_ACTIVE['tty'] = False
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def _fmt(value) -> str:
    return f'{value:.2f}' if isinstance(value, float) else str(value)


def kd_configs_for_teacher(config: str,
                           search_dirs: Sequence[str] = ('configs', )
                           ) -> List[str]:
    """Config files that name ``config`` as their teacher (``cfg_path``).

    A plain text search for ``cfg_path='<config>'``: cheap, and enough to
    suggest the next command after a teacher is trained.

    Args:
        config (str): The trained config, as given on the command line.
        search_dirs (Sequence[str]): Folders searched, plus the folder of
            ``config`` itself.

    Returns:
        list[str]: Matching config files, sorted.
    """
    rel = osp.relpath(config).replace(os.sep, '/')
    names = [rel]
    if rel.startswith('configs/'):  # shipped configs: 'medproto::<path>'
        names.append('medproto::' + rel[len('configs/'):])
    needle = re.compile(r"cfg_path\s*=\s*['\"](" +
                        '|'.join(re.escape(n) for n in names) + r")['\"]")
    found = set()
    for folder in {*search_dirs, osp.dirname(rel) or '.'}:
        for path in glob.glob(osp.join(folder, '**', '*.py'), recursive=True):
            try:
                with open(path, encoding='utf-8') as f:
                    if needle.search(f.read()):
                        found.add(osp.relpath(path))
            except OSError:
                continue
    return sorted(found)


def train_summary(runner, config: str) -> str:
    """The lines that end a training run.

    Best metric and its checkpoint (from mmengine's ``CheckpointHook``,
    ``save_best``), the last checkpoint, and the next command: the test of
    the best checkpoint, and the distillation configs that take this config
    as their teacher.

    Args:
        runner: The finished runner.
        config (str): The config path as typed by the user.

    Returns:
        str: A few lines for the console.
    """
    hub = runner.message_hub
    info = hub.runtime_info
    lines = ['', f'done: {config} trained, work dir {runner.work_dir}']
    best = {k[len('best_ckpt'):].lstrip('_'): v for k, v in info.items()
            if k.startswith('best_ckpt')}
    keys = _save_best_keys(runner)
    ckpt = None
    for suffix, path in best.items():
        metric = suffix or (keys[0] if keys else 'metric')
        score = info.get('best_score' + (f'_{suffix}' if suffix else ''))
        lines.append(f'  best {metric}: {_fmt(score)}  ->  {path}')
        ckpt = ckpt or path
    if ckpt is None:
        ckpt = info.get('last_ckpt')
        if ckpt:
            lines.append(f'  last checkpoint: {ckpt} (no save_best metric)')
    if ckpt:
        lines.append('next:')
        lines.append(f'  python tools/test.py {config} {ckpt} '
                     f'--show-dir {osp.join(runner.work_dir, "vis")}')
        for kd in kd_configs_for_teacher(config):
            lines.append(f'  python tools/train.py {kd} --cfg-options '
                         f'model.teacher_ckpt={ckpt}   # distil from it')
    lines.append(f'  full log: {runner.log_dir}')
    return '\n'.join(lines)


def _save_best_keys(runner) -> List[str]:
    """The ``save_best`` metric names of the runner's checkpoint hook."""
    for hook in runner.hooks:
        keys = getattr(hook, 'key_indicators', None)
        if keys:
            return list(keys)
    return []


def eval_summary(metrics: Mapping[str, float], config: str, checkpoint: str,
                 log_dir: str, show_dir: Optional[str] = None,
                 limit: int = 8) -> str:
    """The lines that end a test run.

    Args:
        metrics (Mapping[str, float]): ``runner.test()``'s result.
        config (str): The config path as typed by the user.
        checkpoint (str): The evaluated checkpoint.
        log_dir (str): Where the full log is.
        show_dir (str, optional): Where the pictures went.
        limit (int): At most this many metrics are listed.

    Returns:
        str: A few lines for the console.
    """
    shown: Dict[str, float] = dict(list(metrics.items())[:limit])
    listed = ', '.join(f'{k} {_fmt(v)}' for k, v in shown.items())
    more = len(metrics) - len(shown)
    lines = ['', f'done: {checkpoint} tested on the test set of {config}',
             f'  {listed}' + (f' (+{more} more in the log)' if more else '')]
    if show_dir:
        lines.append(f'  pictures: {show_dir}')
    lines.append(f'  full log: {log_dir}')
    return '\n'.join(lines)
