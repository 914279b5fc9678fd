# Copyright (c) medproto contributors. All rights reserved.
"""A progress line with ETA for training, validation and test."""
import sys
import time
from typing import IO, Optional, Union

from mmengine.hooks import Hook

from medproto.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


def format_seconds(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour) of a duration.

    Args:
        seconds (float): Duration; negative or non-finite values read 0.

    Returns:
        str: e.g. ``'1:02:03'``, ``'2:05'``.
    """
    if not seconds == seconds or seconds < 0 or seconds == float('inf'):
        seconds = 0
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours}:{minutes:02d}:{secs:02d}' if hours else \
        f'{minutes}:{secs:02d}'


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show one progress line per phase (train / val / test) with an ETA.

    On a terminal the line is redrawn in place (``\\r``), like tqdm: ``train
    [#######.......]  120/3000  4%  loss 0.5321  lr 9.9e-04  1:02<25:00``.
    Elsewhere (a log file, CI, a pipe) a new line is printed after the
    first iteration, at every tenth of a training run and at least every
    ``min_interval_s`` seconds; validation and test print their last line
    (and a line every ``min_interval_s`` seconds when they take longer).
    The ETA of training is its time per iteration so far (validation time
    excluded) times the iterations left. ``tools/train.py`` and
    ``tools/test.py`` add this hook unless ``--verbose``.

    Args:
        width (int): Characters of the bar. Defaults to 24.
        min_interval_s (float): Most seconds between two printed lines when
            not on a terminal. Defaults to 30.
        stream (IO, optional): Where to write; defaults to ``sys.stdout``.
        tty (bool, optional): Redraw in place; defaults to
            ``stream.isatty()``.
    """

    priority = 'BELOW_NORMAL'  # after IterTimerHook

    def __init__(self,
                 width: int = 24,
                 min_interval_s: float = 30.0,
                 stream: Optional[IO] = None,
                 tty: Optional[bool] = None) -> None:
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f'width must be an int >= 1, got {width!r}')
        if not min_interval_s > 0:
            raise ValueError(f'min_interval_s must be > 0, got '
                             f'{min_interval_s!r}')
        self.width = width
        self.min_interval_s = float(min_interval_s)
        self._stream = stream
        self._tty = tty
        self._phase_start = {}
        self._printed_at = 0.0
        self._train_time = 0.0
        self._mark = 0.0
        self._first_iter = 0
        self._last_step = -1

    # ------------------------------------------------------------- output
    @property
    def stream(self) -> IO:
        return self._stream if self._stream is not None else sys.stdout

    @property
    def tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        return bool(getattr(self.stream, 'isatty', lambda: False)())

    def _bar(self, done: int, total: int) -> str:
        filled = int(self.width * done / max(total, 1))
        return '#' * filled + '.' * (self.width - filled)

    def _line(self, phase: str, done: int, total: int, elapsed: float,
              eta: float, extra: str = '') -> str:
        percent = 100.0 * done / max(total, 1)
        digits = len(str(total))
        return (f'{phase:<5} [{self._bar(done, total)}] '
                f'{done:>{digits}}/{total} {percent:3.0f}%{extra}  '
                f'{format_seconds(elapsed)}<{format_seconds(eta)}')

    def _emit(self, line: str, final: bool) -> None:
        from medproto.utils.console import set_bar_active
        if self.tty:
            self.stream.write('\r\033[K' + line + ('\n' if final else ''))
            set_bar_active(not final)
        else:
            self.stream.write(line + '\n')
        self.stream.flush()
        self._printed_at = time.perf_counter()

    def _due(self, done: int, total: int, train: bool) -> bool:
        """Whether a non-terminal stream gets a line now."""
        if done >= total:
            return True
        if time.perf_counter() - self._printed_at >= self.min_interval_s:
            return True
        if not train:
            return False
        step = max(1, total // 10)
        return done == self._first_iter + 1 or done // step > \
            self._last_step

    # ------------------------------------------------------------- train
    def before_train(self, runner) -> None:
        """Start the clock at the run's first (or resumed) iteration."""
        self._first_iter = runner.iter
        self._train_time = 0.0
        self._mark = self._printed_at = time.perf_counter()
        self._last_step = -1

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Update the training line."""
        now = time.perf_counter()
        self._train_time += now - self._mark
        self._mark = now
        done, total = runner.iter + 1, runner.max_iters
        if not self.tty and not self._due(done, total, train=True):
            return
        self._last_step = done // max(1, total // 10)
        per_iter = self._train_time / max(done - self._first_iter, 1)
        extra = ''
        scalars = runner.message_hub.log_scalars
        if 'train/loss' in scalars:
            extra += f'  loss {float(scalars["train/loss"].current()):.4f}'
        if 'train/lr' in scalars:
            extra += f'  lr {float(scalars["train/lr"].current()):.2e}'
        if runner.max_epochs and runner.max_epochs > 1 and \
                'Epoch' in type(runner.train_loop).__name__:
            extra += f'  epoch {runner.epoch + 1}/{runner.max_epochs}'
        self._emit(self._line('train', done, total, self._train_time,
                              per_iter * (total - done), extra),
                   final=done >= total)

    # ------------------------------------------------------- val / test
    def _start(self, phase: str) -> None:
        self._phase_start[phase] = self._printed_at = time.perf_counter()

    def _eval_iter(self, phase: str, batch_idx: int, total: int) -> None:
        done = batch_idx + 1
        if not self.tty and not self._due(done, total, train=False):
            return
        elapsed = time.perf_counter() - self._phase_start.get(
            phase, time.perf_counter())
        eta = elapsed / done * (total - done)
        self._emit(self._line(phase, done, total, elapsed, eta),
                   final=done >= total)

    def before_val_epoch(self, runner) -> None:
        """Start the validation clock; a training bar keeps its line."""
        from medproto.utils.console import bar_active
        if self.tty and bar_active():
            self.stream.write('\n')
        self._start('val')

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Stop counting validation time in the training ETA."""
        self._mark = time.perf_counter()

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch: DATA_BATCH = None,
                       outputs=None) -> None:
        """Update the validation line."""
        self._eval_iter('val', batch_idx, len(runner.val_dataloader))

    def before_test_epoch(self, runner) -> None:
        """Start the test clock."""
        self._start('test')

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: DATA_BATCH = None,
                        outputs=None) -> None:
        """Update the test line."""
        self._eval_iter('test', batch_idx, len(runner.test_dataloader))
