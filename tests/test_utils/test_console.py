# Copyright (c) medproto contributors. All rights reserved.
"""The quiet console of tools/train.py and tools/test.py."""
import io
import logging
import uuid
import warnings

from mmengine.logging import MMLogger

from medproto.utils.console import (ConsoleFilter, console_handlers,
                                    kd_configs_for_teacher,
                                    silence_expected_warnings, eval_summary)

DUMPS = [
    '\n' + '-' * 60 + '\nSystem environment:\n    sys.platform: linux',
    "Config:\nmodel = dict(type='EncoderDecoder')",
    'Hooks will be executed in the following order:\nbefore_run:',
    'Iter(train) [  20/3000]  lr: 9.9990e-04  eta: 2:21:04  time: 3.5376',
    'Epoch(train) [1][ 20/300]  lr: 1e-3  eta: 0:10:00  time: 1.0',
    'Iter(val) [1/6]    eta: 0:00:00  time: 0.0351  data_time: 0.0036',
    'Reach the end of the dataloader, it will be restarted and continue',
    'teacher_ckpt is None: the teacher keeps its initial weights',
]
KEPT = [
    'Iter(val) [6/6]    Dice: 19.6243  IoU: 10.8797  data_time: 0.0030',
    'The best checkpoint with 19.6243 Dice at 40 iter is saved to x.pth.',
    "curriculum: stage 1 ('preference') from iteration 24",
    'resumed epoch: 0, iter: 2',
]


def _logger(extra=()):
    stream, file_log = io.StringIO(), io.StringIO()
    logger = MMLogger.get_instance(f'console-{uuid.uuid4().hex}')
    for handler in console_handlers(logger):
        handler.setStream(stream)
        handler.addFilter(ConsoleFilter(extra))
    file_handler = logging.StreamHandler(file_log)  # stands for the file
    logger.addHandler(file_handler)
    return logger, stream, file_log


def test_dumps_go_to_the_file_only():
    logger, console, file_log = _logger(extra=[r'^teacher_ckpt is None'])
    for message in DUMPS + KEPT:
        logger.info(message)
    shown = console.getvalue()
    for message in KEPT:
        assert message in shown
    for message in DUMPS:
        assert message.splitlines()[-1] not in shown, message
        assert message in file_log.getvalue()  # all of it in the log file


def test_teacher_notice_is_only_hidden_where_asked():
    logger, console, _ = _logger()
    logger.warning('teacher_ckpt is None: the teacher keeps its weights')
    assert 'teacher_ckpt is None' in console.getvalue()


def test_expected_warnings_are_silenced_others_are_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        silence_expected_warnings()
        warnings.warn('The draw is False, it means that the hook ...',
                      UserWarning)
        warnings.warn('For binary segmentation, we suggest using'
                      '`out_channels = 1`', UserWarning)
        warnings.warn('pkg_resources is deprecated as an API.', UserWarning)
        warnings.warn('Setting MKL_NUM_THREADS environment variable for each'
                      ' process to be 1 in default', UserWarning)
        warnings.warn('Grad strides do not match bucket view strides.',
                      UserWarning)
        warnings.warn('something the user must act on', UserWarning)
    assert [str(w.message) for w in caught] == [
        'something the user must act on']


def test_kd_configs_that_take_a_teacher_are_found():
    assert kd_configs_for_teacher('tests/data/configs/seg_tiny_teacher.py') \
        == ['tests/data/configs/seg_tiny_kd.py']
    assert 'configs/maunet/maunet_kd_kvasir.py' in kd_configs_for_teacher(
        'configs/malunet/malunet_kvasir.py')
    assert kd_configs_for_teacher('tests/data/configs/seg_tiny.py') == []


def test_test_summary_lists_metrics_and_pictures():
    text = eval_summary(dict(Dice=12.345, IoU=6.5), 'c.py', 'best.pth',
                        'wd/log', show_dir='vis')
    assert 'Dice 12.35, IoU 6.50' in text
    assert 'pictures: vis' in text and 'full log: wd/log' in text


def test_an_error_after_an_open_bar_starts_its_own_line(capsys):
    """On a terminal the bar line has no newline; a one-line error printed
    by friendly_errors must not run into it."""
    import pytest

    from medproto.utils.cli import ConfigError, friendly_errors
    from medproto.utils.console import bar_active, set_bar_active
    set_bar_active(True)
    with pytest.raises(SystemExit):
        with friendly_errors():
            print('\rtrain [####....]  2/4', end='')
            raise ConfigError('x.png: mask is 40x30 (WxH)')
    out = capsys.readouterr()
    assert out.out.endswith('2/4\n') and not bar_active()
    assert out.err == 'error: x.png: mask is 40x30 (WxH)\n'


def test_the_console_rank_is_read_from_the_launcher(monkeypatch):
    from medproto.utils.console import RANK_VARIABLES, is_console_rank
    for name in RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert is_console_rank()  # a single process
    monkeypatch.setenv('SLURM_PROCID', '1')
    assert not is_console_rank()
    monkeypatch.setenv('RANK', '0')  # torchrun's, read first
    assert is_console_rank()
    monkeypatch.setenv('RANK', '3')
    assert not is_console_rank()


def test_the_checkpoint_notice_goes_to_the_logger(tmp_path, capsys):
    import torch
    from mmengine.runner.checkpoint import CheckpointLoader

    from medproto.utils.console import route_checkpoint_notice
    path = tmp_path / 'w.pth'
    torch.save({'w': torch.ones(2)}, path)
    route_checkpoint_notice()
    route_checkpoint_notice()  # once only
    _, console, file_log = _logger()  # the current logger now
    loaded = CheckpointLoader.load_checkpoint(str(path), logger=None)
    assert torch.equal(loaded['w'], torch.ones(2))
    assert 'Loads checkpoint by' not in capsys.readouterr().out
    assert 'Loads checkpoint by' not in console.getvalue()
    assert f'from path: {path}' in file_log.getvalue()
