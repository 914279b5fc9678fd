# Copyright (c) medproto contributors. All rights reserved.
import io
import re
import uuid
from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub

from medproto.engine.hooks import ProgressBarHook
from medproto.engine.hooks.progress_bar_hook import format_seconds


def _runner(max_iters, val_len=6):
    hub = MessageHub.get_instance(f'bar-{uuid.uuid4().hex}')
    return SimpleNamespace(iter=0, max_iters=max_iters, max_epochs=1,
                           epoch=0, train_loop=SimpleNamespace(),
                           message_hub=hub, val_dataloader=[0] * val_len,
                           test_dataloader=[0] * val_len)


def _train(hook, runner, iters):
    hook.before_train(runner)
    for i in range(iters):
        runner.message_hub.update_scalar('train/loss', 1.0 / (i + 1))
        runner.message_hub.update_scalar('train/lr', 1e-3)
        hook.after_train_iter(runner, i)
        runner.iter += 1


def test_plain_stream_gets_a_line_per_tenth():
    stream = io.StringIO()
    hook = ProgressBarHook(stream=stream, tty=False)
    runner = _runner(100)
    _train(hook, runner, 100)
    lines = stream.getvalue().splitlines()
    # iteration 1, then 10, 20, ..., 100
    assert [int(re.search(r' (\d+)/100 ', x).group(1)) for x in lines] == \
        [1] + list(range(10, 101, 10))
    assert lines[-1].startswith('train [' + '#' * 24 + ']')
    assert 'loss 0.0100' in lines[-1] and 'lr 1.00e-03' in lines[-1]
    assert lines[-1].endswith('<0:00')  # nothing left


def test_terminal_redraws_one_line_and_ends_it():
    stream = io.StringIO()
    hook = ProgressBarHook(stream=stream, tty=True, width=10)
    runner = _runner(5)
    _train(hook, runner, 5)
    text = stream.getvalue()
    assert text.count('\r') == 5 and text.count('\n') == 1
    assert text.endswith('5/5 100%  loss 0.2000  lr 1.00e-03  0:00<0:00\n')


def test_validation_and_test_print_their_last_line():
    stream = io.StringIO()
    hook = ProgressBarHook(stream=stream, tty=False)
    runner = _runner(10, val_len=6)
    hook.before_val_epoch(runner)
    for i in range(6):
        hook.after_val_iter(runner, i)
    hook.before_test_epoch(runner)
    for i in range(6):
        hook.after_test_iter(runner, i)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith('val   [') and ' 6/6 100%' in lines[0]
    assert lines[1].startswith('test  [')


def test_eta_is_time_per_iteration_times_iterations_left(monkeypatch):
    clock = iter(range(0, 1000, 2))  # every call 2 s later
    monkeypatch.setattr('medproto.engine.hooks.progress_bar_hook.time.'
                        'perf_counter', lambda: float(next(clock)))
    stream = io.StringIO()
    hook = ProgressBarHook(stream=stream, tty=True)
    runner = _runner(10)
    _train(hook, runner, 1)
    # one iteration took 2 s (plus the print's own clock read); 9 left
    elapsed, eta = re.search(r'(\d+:\d+)<(\d+:\d+)',
                             stream.getvalue()).groups()
    assert elapsed == '0:02' and eta == '0:18'


@pytest.mark.parametrize('seconds, text', [(0, '0:00'), (65, '1:05'),
                                           (3725, '1:02:05'),
                                           (float('nan'), '0:00')])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_bad_arguments():
    with pytest.raises(ValueError, match='width'):
        ProgressBarHook(width=0)
    with pytest.raises(ValueError, match='min_interval_s'):
        ProgressBarHook(min_interval_s=0)
