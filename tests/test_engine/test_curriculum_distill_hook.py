# Copyright (c) medproto contributors. All rights reserved.
import math
import os.path as osp
import sys
import uuid
from types import SimpleNamespace

import pytest
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import Runner
from torch import nn

TOYS = osp.join(osp.dirname(__file__), '..', 'data', 'distill_toys')
sys.path.insert(0, osp.abspath(TOYS))

from medproto_distill_toys import (CLS_PREPROCESSOR,  # noqa: E402
                                   TinyClsDataset, cls_model)

from medproto.engine.hooks import CurriculumDistillHook  # noqa: E402
from medproto.engine.hooks.curriculum_distill_hook import \
    ramp_value  # noqa: E402

LOSSES = ['loss_kd', 'loss_feat', 'loss_nce', 'loss_l2']
STAGES = [
    dict(name='imitation', end=0.6, losses=['loss_kd', 'loss_feat'],
         ramp=dict(loss_kd='cosine')),
    dict(name='preference', losses=['loss_nce', 'loss_l2']),
]


def expected_scales(cur_iter: int, max_iters: int = 10) -> dict:
    """The schedule written out by hand for STAGES."""
    switch = math.floor(0.6 * max_iters)
    if cur_iter < switch:
        kd = 0.5 * (1 - math.cos(math.pi * cur_iter / switch))
        return dict(loss_kd=kd, loss_feat=1.0, loss_nce=0.0, loss_l2=0.0)
    return dict(loss_kd=0.0, loss_feat=0.0, loss_nce=1.0, loss_l2=1.0)


def distiller_cfg() -> dict:
    probe = dict(type='medproto.TestProbeLoss')
    return dict(
        type='medproto.SingleTeacherDistiller',
        student=cls_model(width=4),
        teacher=cls_model(width=4),
        student_recorders=dict(logits='head.fc', feat='backbone.layer2'),
        teacher_recorders=dict(logits='head.fc', feat='backbone.layer2'),
        distill_losses=dict(
            loss_kd=dict(type='medproto.KDLoss',
                         inputs=dict(preds_S='s.logits', preds_T='t.logits')),
            loss_feat=dict(probe, inputs=dict(s='s.feat', t='t.feat')),
            loss_nce=dict(probe, inputs=dict(s='s.logits', m='sample_idx')),
            loss_l2=dict(type='medproto.L2Loss',
                         inputs=dict(preds_S='s.logits', preds_T='t.logits'))),
        data_preprocessor=CLS_PREPROCESSOR)


class ProbeHook(Hook):
    """Runs after the curriculum hook and records what it set."""

    priority = 'LOW'

    def __init__(self):
        self.records = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        stage = runner.message_hub.get_scalar('train/curriculum_stage')
        self.records[runner.iter] = dict(
            epoch=runner.epoch, scales=dict(model.loss_scales),
            stage=stage.current())

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.records[runner.iter]['logged'] = set(outputs)


def make_runner(work_dir, probe, by_epoch=False, **kwargs) -> Runner:
    loop = (dict(by_epoch=True, max_epochs=2) if by_epoch else
            dict(by_epoch=False, max_iters=10))
    return Runner(
        model=distiller_cfg(),
        work_dir=str(work_dir),
        experiment_name=f'curriculum-{uuid.uuid4().hex}',
        train_dataloader=dict(
            dataset=TinyClsDataset(num=10 if by_epoch else 8),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=loop,
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=7,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[
            dict(type='medproto.CurriculumDistillHook', stages=STAGES),
            probe,
            dict(type='medproto.SafeCheckpointHook')
        ],
        default_scope='mmpretrain',
        **kwargs)


def assert_follows_schedule(records: dict, iters) -> None:
    for cur_iter in iters:
        record = records[cur_iter]
        expected = expected_scales(cur_iter)
        assert record['scales'] == pytest.approx(expected), cur_iter
        assert record['stage'] == (0 if cur_iter < 6 else 1), cur_iter
        # Terms with scale 0 are not computed, the others are logged.
        logged = {k for k, v in expected.items() if v > 0}
        assert logged <= record['logged'], cur_iter
        assert not (set(LOSSES) - logged) & record['logged'], cur_iter


def test_iteration_run_and_resume_in_the_right_stage(tmp_path):
    probe = ProbeHook()
    make_runner(tmp_path / 'full', probe).train()
    assert sorted(probe.records) == list(range(10))
    assert_follows_schedule(probe.records, range(10))
    ckpt = tmp_path / 'full' / 'iter_7.pth'
    assert ckpt.is_file()

    resumed = ProbeHook()
    runner = make_runner(tmp_path / 'resumed', resumed, resume=True,
                         load_from=str(ckpt))
    runner.train()
    # Resumed at iteration 7, i.e. inside the preference stage.
    assert sorted(resumed.records) == [7, 8, 9]
    assert_follows_schedule(resumed.records, [7, 8, 9])


def test_epoch_run_switches_at_the_same_iteration(tmp_path):
    probe = ProbeHook()
    make_runner(tmp_path, probe, by_epoch=True).train()
    assert sorted(probe.records) == list(range(10))  # 2 epochs x 5 iters
    assert_follows_schedule(probe.records, range(10))
    assert probe.records[5]['epoch'] == 1 and probe.records[6]['stage'] == 1


@pytest.mark.parametrize('max_iters, end, boundary', [
    (10, 0.6, 6), (7, 0.6, 4), (100, 0.29, 29), (3, 0.5, 1)])
def test_stage_boundary_is_floor_of_end_times_max_iters(
        max_iters, end, boundary):
    hook = CurriculumDistillHook([dict(end=end, losses=['a']),
                                  dict(losses=['b'])])
    assert hook.boundaries(max_iters) == [boundary, max_iters]
    assert hook.stage_index(boundary - 1, max_iters) == 0
    assert hook.stage_index(boundary, max_iters) == 1
    assert hook.stage_index(max_iters - 1, max_iters) == 1


def test_ramp_values():
    cosine = dict(type='cosine', direction='rise')
    assert ramp_value(cosine, 0.0) == 0.0
    assert ramp_value(cosine, 0.5) == pytest.approx(0.5)
    assert ramp_value(cosine, 0.25) == pytest.approx(
        0.5 * (1 - math.cos(math.pi / 4)))
    assert ramp_value(dict(cosine, direction='fall'), 0.0) == 1.0
    assert ramp_value(dict(cosine, direction='fall'),
                      0.25) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))
    assert ramp_value(dict(type='linear', direction='rise'), 0.3) == 0.3
    assert ramp_value(dict(type='linear', direction='fall'), 0.3) == 0.7
    assert ramp_value(dict(type='constant', direction='rise'), 0.3) == 1.0
    # A ramp in a later stage runs from that stage's start.
    hook = CurriculumDistillHook([
        dict(end=0.5, losses=['a']),
        dict(losses=['a', 'b'], ramp=dict(b=dict(type='linear',
                                                  direction='fall')))
    ])
    assert hook.scales(10, 20, ['a', 'b', 'c']) == dict(a=1.0, b=1.0, c=0.0)
    assert hook.scales(15, 20, ['a', 'b', 'c'])['b'] == pytest.approx(0.5)


@pytest.mark.parametrize('stages, message', [
    ([], 'non-empty list'),
    ([dict(end=0.6, losses=['a'])], 'last stage .* must end at 1.0'),
    ([dict(end=0.6, losses=['a']), dict(end=0.5, losses=['b']),
      dict(losses=['c'])], r'end must be a number in \(0.6, 1.0\]'),
    ([dict(end=1.2, losses=['a'])], r'end must be a number in \(0.0, 1.0\]'),
    ([dict(losses=['a']), dict(losses=['b'])], 'end must be a number'),
    ([dict(losses=['a'], ramp=dict(b='cosine'))], "ramp for 'b'"),
    ([dict(losses=['a'], ramp=dict(a='step'))], 'type must be one of'),
    ([dict(losses=['a'], ramp=dict(a=dict(type='cosine', direction='up')))],
     'direction must be one of'),
    ([dict(losses='a')], 'losses must be a list'),
    ([dict(losses=['a'], weight=2)], r"unknown keys \['weight'\]"),
    ([dict(name='x', end=0.5, losses=[]), dict(name='x', losses=[])],
     'unique string'),
])
def test_stage_validation(stages, message):
    with pytest.raises((ValueError, TypeError), match=message):
        CurriculumDistillHook(stages)


@MODEL_WRAPPERS.register_module(name='TestFakeWrapper', force=True)
class FakeWrapper:
    """Stands for MMDistributedDataParallel: the model is ``.module``."""

    def __init__(self, module):
        self.module = module


def fake_runner(model, cur_iter=0, max_iters=10):
    logger = SimpleNamespace(info=lambda *a: None, warning=lambda *a: None)
    return SimpleNamespace(model=model, iter=cur_iter, max_iters=max_iters,
                           logger=logger,
                           message_hub=MessageHub.get_instance(
                               f'hook-{uuid.uuid4().hex}'))


def test_unknown_loss_is_named_and_ddp_model_is_unwrapped():
    distiller = SimpleNamespace(loss_scales={name: 1.0 for name in LOSSES})
    hook = CurriculumDistillHook(STAGES)
    runner = fake_runner(FakeWrapper(distiller), cur_iter=3)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert distiller.loss_scales == pytest.approx(expected_scales(3))
    assert runner.message_hub.get_scalar(
        'train/curriculum_stage').current() == 0
    # an off term is not logged: neither its scale nor a stale value
    assert 'train/scale_loss_nce' not in runner.message_hub.log_scalars
    assert runner.message_hub.get_scalar(
        'train/scale_loss_feat').current() == 1

    bad = CurriculumDistillHook([dict(losses=['loss_kd', 'loss_typo'])])
    with pytest.raises(ValueError, match=r"unknown distill loss\(es\) "
                       r"\['loss_typo'\]"):
        bad.before_train(runner)
    with pytest.raises(TypeError, match='loss_scales'):
        bad.before_train(fake_runner(nn.Identity()))


def test_loss_in_no_stage_is_an_error_at_start_unless_always():
    from medproto.utils.cli import ConfigError
    distiller = SimpleNamespace(
        loss_scales={name: 1.0 for name in LOSSES + ['loss_sp']})
    runner = fake_runner(distiller, cur_iter=8)
    with pytest.raises(ConfigError, match=r"\['loss_sp'\] are in no "
                       'curriculum stage'):
        CurriculumDistillHook(STAGES).before_train(runner)
    hook = CurriculumDistillHook(STAGES, always=['loss_sp'])
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert distiller.loss_scales == pytest.approx(
        dict(expected_scales(8), loss_sp=1.0))
    runner.iter = 2
    hook.before_train_iter(runner, 0)
    assert distiller.loss_scales['loss_sp'] == 1.0
    with pytest.raises(ValueError, match='both in always and in a stage'):
        CurriculumDistillHook(STAGES, always=['loss_kd'])
    with pytest.raises(ValueError, match='always= names unknown'):
        CurriculumDistillHook(STAGES, always=['loss_x']).before_train(runner)


class LogProbe(Hook):
    """Records what the logger would print after each iteration."""

    priority = 'LOW'

    def __init__(self):
        self.tags = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        tag, _ = runner.log_processor.get_log_after_iter(
            runner, batch_idx, 'train')
        self.tags[runner.iter] = tag


def test_logged_scales_are_current_values_and_off_terms_are_not_logged(
        tmp_path):
    log_probe = LogProbe()
    runner = make_runner(tmp_path, log_probe)
    runner.train()
    for cur_iter in range(10):
        tag, expected = log_probe.tags[cur_iter], expected_scales(cur_iter)
        assert tag['curriculum_stage'] == (0 if cur_iter < 6 else 1)
        for name, scale in expected.items():
            if scale > 0:  # the value of this iteration, not a mean of 10
                assert tag[f'scale_{name}'] == pytest.approx(scale), (
                    cur_iter, name)
                assert name in tag
            else:
                assert f'scale_{name}' not in tag, (cur_iter, name)
                assert name not in tag, (cur_iter, name)
