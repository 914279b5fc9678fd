# Copyright (c) medproto contributors. All rights reserved.
"""ResumableIterBasedTrainLoop's best-checkpoint record at a resume (the
whole loop runs through tools/train.py in tests/test_tools)."""
import os.path as osp
import uuid
from types import SimpleNamespace

from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub

from medproto.engine.loops import ResumableIterBasedTrainLoop


def _loop(work_dir, info, out_dir=None):
    hub = MessageHub.get_instance(f'loop-{uuid.uuid4().hex}')
    for key, value in info.items():
        hub.update_info(key, value)
    runner = SimpleNamespace(
        work_dir=str(work_dir), message_hub=hub,
        hooks=[CheckpointHook(interval=2, save_best='Dice', rule='greater',
                              out_dir=out_dir)])
    loop = object.__new__(ResumableIterBasedTrainLoop)
    loop._runner, loop._iter = runner, 4
    return loop, hub.runtime_info


def test_a_best_file_of_this_folder_is_kept_and_pointed_at(tmp_path):
    (tmp_path / 'best_Dice_iter_2.pth').write_bytes(b'x')
    loop, info = _loop(tmp_path, dict(
        best_score=30.0, best_ckpt='/elsewhere/run/best_Dice_iter_2.pth'))
    loop._check_best_record()
    assert info['best_score'] == 30.0
    assert info['best_ckpt'] == osp.join(tmp_path, 'best_Dice_iter_2.pth')


def test_a_missing_best_file_is_forgotten_per_metric(tmp_path):
    (tmp_path / 'best_IoU_iter_2.pth').write_bytes(b'x')
    loop, info = _loop(tmp_path, dict(
        best_score_Dice=30.0, best_ckpt_Dice=str(tmp_path / 'best_Dice.pth'),
        best_score_IoU=20.0, best_ckpt_IoU=str(tmp_path /
                                               'best_IoU_iter_2.pth'),
        last_ckpt=str(tmp_path / 'iter_4.pth')))
    loop._check_best_record()
    assert 'best_score_Dice' not in info and 'best_ckpt_Dice' not in info
    assert info['best_score_IoU'] == 20.0
    assert info['last_ckpt'] == str(tmp_path / 'iter_4.pth')


def test_the_checkpoint_hooks_out_dir_is_the_folder(tmp_path):
    work, out = tmp_path / 'run', tmp_path / 'out'
    (out / 'run').mkdir(parents=True)
    (out / 'run' / 'best_Dice_iter_2.pth').write_bytes(b'x')
    record = dict(best_score=1.0, best_ckpt=str(work / 'best_Dice_iter_2.pth'))
    loop, info = _loop(work, record, out_dir=str(out))
    loop._check_best_record()
    assert info['best_ckpt'] == str(out / 'run' / 'best_Dice_iter_2.pth')
