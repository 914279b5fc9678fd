# Copyright (c) medproto contributors. All rights reserved.
import copy
import os.path as osp
import sys

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

TOYS = osp.join(osp.dirname(__file__), '..', '..', 'data', 'distill_toys')
sys.path.insert(0, osp.abspath(TOYS))

from medproto_distill_toys import (CLS_PREPROCESSOR, cls_batch,  # noqa: E402
                                   cls_model, default_scope, seg_batch,
                                   seg_model)

from medproto.registry import MODELS  # noqa: E402

PROBE = dict(type='medproto.TestProbeLoss')


def cls_distiller_cfg(**overrides) -> dict:
    cfg = dict(
        type='medproto.SingleTeacherDistiller',
        student=cls_model(width=4),
        teacher=cls_model(width=8),
        student_recorders=dict(logits='head.fc', pooled='head.fc:input',
                               feat2='backbone.layer2'),
        teacher_recorders=dict(logits='head.fc', pooled='head.fc:input',
                               feat2='backbone.layer2'),
        connectors=dict(hint=dict(type='medproto.ConvRegConnector',
                                  in_channels=4, out_channels=8,
                                  input='s.feat2')),
        distill_losses=dict(
            loss_kd=dict(type='medproto.KDLoss', tau=4.0, loss_weight=0.9,
                         inputs=dict(preds_S='s.logits', preds_T='t.logits')),
            loss_fitnet=dict(type='medproto.FitNetLoss', loss_weight=1.0,
                             inputs=dict(feat_S='c.hint', feat_T='t.feat2'))),
        data_preprocessor=CLS_PREPROCESSOR)
    cfg.update(overrides)
    return cfg


def build(cfg: dict, scope: str = 'mmpretrain'):
    with default_scope(scope):
        return MODELS.build(copy.deepcopy(cfg))


def loss_step(model, batch):
    data = model.data_preprocessor(batch, True)
    return model(**data, mode='loss')


def test_builds_student_and_teacher_under_the_current_scope():
    model = build(cls_distiller_cfg())
    assert type(model.student).__name__ == 'ImageClassifier'
    assert model.data_preprocessor is model.student.data_preprocessor
    # The runner-level preprocessor went to the student.
    assert model.student.data_preprocessor.num_classes == 5
    assert model.loss_scales == dict(loss_kd=1.0, loss_fitnet=1.0)
    with pytest.raises(KeyError, match='ImageClassifier'):
        build(cls_distiller_cfg(), scope='mmseg')


def test_teacher_frozen_and_in_eval_mode_whatever_train_is_called():
    model = build(cls_distiller_cfg())
    model.train()
    assert model.student.training and not model.teacher.training
    assert all(not m.training for m in model.teacher.modules())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    model.train(False)
    model.train(True)
    assert not model.teacher.training


def test_optimizer_steps_train_student_and_connectors_only():
    model = build(cls_distiller_cfg())
    model.train()
    teacher_state = copy.deepcopy(model.teacher.state_dict())
    trained_before = copy.deepcopy(
        dict(student=model.student.state_dict(),
             hint=model.connectors['hint'].state_dict()))
    wrapper = OptimWrapper(torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4))
    for step in range(2):
        log_vars = model.train_step(cls_batch(seed=step), wrapper)
    assert {'loss', 'loss_task', 'loss_kd', 'loss_fitnet'} <= set(log_vars)
    # Teacher weights and BN statistics untouched.
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key]), key
    # Student and connector weights moved.
    for part, module in (('student', model.student),
                         ('hint', model.connectors['hint'])):
        after = module.state_dict()
        assert any(not torch.equal(after[k], v)
                   for k, v in trained_before[part].items()), part
    # One more backward: gradients reach student and connector, never the
    # teacher.
    losses = loss_step(model, cls_batch(seed=5))
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.connectors['hint'].parameters())
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0


def test_loss_scales_skip_and_multiply_terms():
    cfg = cls_distiller_cfg(
        distill_losses=dict(
            loss_kd=dict(type='medproto.KDLoss',
                         inputs=dict(preds_S='s.logits', preds_T='t.logits')),
            loss_probe=dict(PROBE, inputs=dict(x='s.logits'))),
        connectors=None)
    model = build(cfg)
    model.eval()  # deterministic BN
    batch = cls_batch()
    full = loss_step(model, batch)
    model.loss_scales.update(loss_kd=0.25, loss_probe=0.0)
    calls = model.distill_losses['loss_probe'].calls
    scaled = loss_step(model, batch)
    assert 'loss_probe' not in scaled
    assert model.distill_losses['loss_probe'].calls == calls  # not computed
    assert torch.allclose(scaled['loss_kd'], 0.25 * full['loss_kd'])
    model.loss_scales['loss_unknown'] = 1.0
    with pytest.raises(KeyError, match='loss_unknown'):
        loss_step(model, batch)


def test_task_loss_weight_and_bare_loss_key():
    model = build(cls_distiller_cfg(connectors=None, distill_losses=None))
    weighted = build(cls_distiller_cfg(connectors=None, distill_losses=None,
                                       task_loss_weight=0.1))
    weighted.load_state_dict(model.state_dict())
    model.eval()
    weighted.eval()
    batch = cls_batch()
    plain = loss_step(model, batch)
    assert set(plain) == {'loss_task'}  # mmpretrain's 'loss' renamed
    assert torch.allclose(loss_step(weighted, batch)['loss_task'],
                          0.1 * plain['loss_task'])


def test_teacher_runs_only_for_teacher_inputs_and_progress_is_set():
    cfg = cls_distiller_cfg(
        connectors=None,
        distill_losses=dict(loss_probe=dict(
            PROBE, inputs=dict(x='s.pooled', label='gt_label',
                               idx='sample_idx'))))
    model = build(cfg)
    runs = []
    model.teacher.register_forward_hook(lambda *args: runs.append(1))
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 7)
    hub.update_info('max_iters', 20)
    try:
        loss_step(model, cls_batch(num=3))
    finally:
        hub.update_info('iter', 0)
        hub.update_info('max_iters', 0)
    probe = model.distill_losses['loss_probe']
    assert not runs
    assert probe.progress['iter'] == 7 and probe.progress['max_iters'] == 20
    assert probe.seen['x'].shape == (3, 8) and probe.seen['x'].requires_grad
    assert probe.seen['label'].tolist() == [0, 1, 2]
    assert probe.seen['idx'].tolist() == [10, 11, 12]
    assert probe.seen['idx'].dtype == torch.long


def test_list_inputs_and_teacher_records_without_grad():
    cfg = cls_distiller_cfg(distill_losses=dict(loss_probe=dict(
        PROBE, inputs=dict(s=['s.feat2', 'c.hint'], t=['t.feat2']))))
    model = build(cfg)
    loss_step(model, cls_batch())
    seen = model.distill_losses['loss_probe'].seen
    assert [tuple(x.shape[1:2]) for x in seen['s']] == [(4, ), (8, )]
    assert not seen['t'][0].requires_grad


def test_predict_and_tensor_modes_run_the_student_alone():
    model = build(cls_distiller_cfg())
    model.eval()
    runs = []
    model.teacher.register_forward_hook(lambda *args: runs.append(1))
    data = model.data_preprocessor(cls_batch(), False)
    out = model(data['inputs'], mode='tensor')
    assert torch.allclose(out, model.student(data['inputs'], mode='tensor'))
    preds = model.val_step(cls_batch())
    assert len(preds) == 4 and preds[0].pred_score.shape == (5, )
    assert not runs
    with pytest.raises(RuntimeError, match="invalid mode 'x'"):
        model(data['inputs'], mode='x')


def test_state_dict_keeps_all_parts():
    cfg = cls_distiller_cfg()
    cfg['distill_losses']['loss_probe'] = dict(PROBE,
                                               inputs=dict(x='s.logits'))
    keys = build(cfg).state_dict().keys()
    for prefix in ('student.', 'teacher.', 'connectors.hint.',
                   'distill_losses.loss_probe.bank'):
        assert any(k.startswith(prefix) for k in keys), prefix


@pytest.mark.parametrize('change, message', [
    (dict(student_recorders=dict(logits='head.fcc')),
     r"student recorder 'logits'.*'head.fcc'"),
    (dict(distill_losses=dict(kd=dict(PROBE, inputs=dict(x='s.logits')))),
     "must start with 'loss'"),
    (dict(distill_losses=dict(loss_x=dict(PROBE))), "an 'inputs' dict"),
    (dict(distill_losses=dict(loss_x=dict(PROBE, inputs=dict(
        x='s.nothing')))), "names no student recorder 'nothing'"),
    (dict(distill_losses=dict(loss_x=dict(PROBE, inputs=dict(x='q.a')))),
     "invalid input reference 'q.a'"),
    (dict(distill_losses=dict(loss_x=dict(
        type='medproto.KDLoss', inputs=dict(preds_S='s.logits',
                                            logits_T='t.logits')))),
     r"inputs \['logits_T'\] are not arguments"),
    (dict(distill_losses=dict(loss_x=dict(
        type='medproto.KDLoss', inputs=dict(preds_S='s.logits')))),
     r"required arguments \['preds_T'\]"),
    (dict(connectors=dict(hint=dict(type='medproto.ConvRegConnector',
                                    in_channels=4, out_channels=8))),
     "'input' reference"),
    (dict(task_loss_weight=-1), 'task_loss_weight must be a number >= 0'),
])
def test_config_errors(change, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build(cls_distiller_cfg(**change))


def test_teacher_checkpoint_loading(tmp_path):
    source = build(cls_distiller_cfg())
    good = tmp_path / 'teacher.pth'
    torch.save(dict(meta=dict(epoch=3),
                    state_dict=source.teacher.state_dict()), good)
    model = build(cls_distiller_cfg(teacher_ckpt=str(good)))
    for key, value in source.teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value)
    model.init_weights()  # the runner's call must not re-initialise it
    assert torch.equal(model.teacher.head.fc.weight,
                       source.teacher.head.fc.weight)
    assert all(not p.requires_grad for p in model.teacher.parameters())

    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build(cls_distiller_cfg(teacher_ckpt=str(tmp_path / 'missing.pth')))

    wrong = tmp_path / 'wrong.pth'
    torch.save(dict(state_dict=source.student.state_dict()), wrong)
    with pytest.raises(RuntimeError,
                       match=r'wrong.pth does not fit.*shape mismatch.*'
                       r'backbone.conv1.weight: checkpoint \(4, 3, 3, 3\) '
                       r'vs model \(8, 3, 3, 3\).*\(\+\d+ more\)'):
        build(cls_distiller_cfg(teacher_ckpt=str(wrong)))
    partial = tmp_path / 'partial.pth'
    state = dict(source.teacher.state_dict())
    state.pop('head.fc.bias')
    state['extra.weight'] = torch.zeros(1)
    torch.save(state, partial)
    with pytest.raises(RuntimeError, match=r"missing keys \['head.fc.bias'\]"
                       r".*unexpected keys \['extra.weight'\]"):
        build(cls_distiller_cfg(teacher_ckpt=str(partial)))


def test_teacher_from_a_distiller_checkpoint_needs_the_prefix(tmp_path):
    # A distiller whose *student* has the teacher's architecture.
    previous = build(cls_distiller_cfg(student=cls_model(width=8),
                                       connectors=None, distill_losses=None))
    ckpt = tmp_path / 'distiller.pth'
    torch.save(dict(state_dict=previous.state_dict()), ckpt)
    with pytest.raises(RuntimeError, match="teacher_ckpt_prefix='student.'"):
        build(cls_distiller_cfg(teacher_ckpt=str(ckpt)))
    model = build(cls_distiller_cfg(teacher_ckpt=str(ckpt),
                                    teacher_ckpt_prefix='student.'))
    assert torch.equal(model.teacher.head.fc.weight,
                       previous.student.head.fc.weight)
    with pytest.raises(ValueError, match="no key starts with .*'nope.'"):
        build(cls_distiller_cfg(teacher_ckpt=str(ckpt),
                                teacher_ckpt_prefix='nope.'))


def test_loss_weighting_returns_one_summed_term_and_logs_the_rest():
    cfg = cls_distiller_cfg(connectors=None,
                            loss_weighting=dict(type='medproto.'
                                                'TestMeanWeighting'))
    cfg['distill_losses'].pop('loss_fitnet')
    model = build(cfg)
    model.eval()
    losses = loss_step(model, cls_batch())
    assert [k for k in losses if 'loss' in k] == ['loss_weighted']
    assert {'term_task', 'term_kd', 'weighting.scale',
            'weighting.term_count'} <= set(losses)
    expected = 2.0 * (losses['term_task'] + losses['term_kd']) / 2
    assert torch.allclose(losses['loss_weighted'], expected)
    losses['loss_weighted'].backward()
    assert model.loss_weighting.scale.grad is not None


def test_real_uncertainty_weighting():
    cfg = cls_distiller_cfg(connectors=None, loss_weighting=dict(
        type='medproto.UncertaintyWeighting', names=['loss_task', 'loss_kd']))
    cfg['distill_losses'].pop('loss_fitnet')
    model = build(cfg)
    losses = loss_step(model, cls_batch())
    losses['loss_weighted'].backward()
    assert model.loss_weighting.log_vars.grad.abs().sum() > 0
    assert not any('loss' in k for k in losses if k != 'loss_weighted')


def test_segmentation_distiller_with_gt_mask():
    cfg = dict(
        type='medproto.SingleTeacherDistiller',
        student=seg_model(width=4),
        teacher=seg_model(width=6),
        student_recorders=dict(logits='decode_head.conv_seg',
                               stem='backbone.stem', down='backbone[1]'),
        teacher_recorders=dict(logits='decode_head.conv_seg',
                               stem='backbone.stem'),
        connectors=dict(stem=dict(type='medproto.Conv1x1Connector',
                                  in_channels=4, out_channels=6,
                                  input='s.stem')),
        distill_losses=dict(
            loss_kd=dict(type='medproto.KDLoss', tau=1.0,
                         inputs=dict(preds_S='s.logits', preds_T='t.logits')),
            loss_feat=dict(type='medproto.FeatureAlignLoss',
                           inputs=dict(feats_S='c.stem', feats_T='t.stem')),
            loss_probe=dict(PROBE, inputs=dict(mask='gt_mask',
                                               idx='sample_idx',
                                               down='s.down'))))
    model = build(cfg, scope='mmseg')
    assert type(model.student).__name__ == 'EncoderDecoder'
    model.train()
    losses = loss_step(model, seg_batch())
    assert {'decode.loss_ce', 'decode.acc_seg', 'loss_kd', 'loss_feat',
            'loss_probe'} <= set(losses)
    seen = model.distill_losses['loss_probe'].seen
    assert seen['mask'].shape == (2, 1, 8, 8)
    assert seen['mask'].dtype == torch.float32
    assert set(seen['mask'].unique().tolist()) <= {0.0, 1.0}
    assert seen['idx'].tolist() == [0, 1]
    assert seen['down'].shape == (2, 4, 4, 4)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.connectors['stem'].layers[0].weight.grad is not None
    # gt_label does not exist for segmentation samples.
    cfg['distill_losses'] = dict(loss_probe=dict(
        PROBE, inputs=dict(label='gt_label')))
    with pytest.raises(KeyError, match="no 'gt_label'"):
        loss_step(build(cfg, scope='mmseg'), seg_batch())


def test_teacher_channels_last_changes_the_layout_not_the_values():
    torch.manual_seed(0)
    ref = build(cls_distiller_cfg())
    fast = build(cls_distiller_cfg(teacher_channels_last=True))
    fast.load_state_dict(ref.state_dict())
    seen = []
    fast.teacher.backbone.register_forward_pre_hook(
        lambda m, args: seen.append(args[0].is_contiguous(
            memory_format=torch.channels_last)))
    batch = cls_batch()
    torch.manual_seed(1)
    want = loss_step(ref.train(), batch)
    torch.manual_seed(1)
    got = loss_step(fast.train(), batch)
    assert seen == [True]
    for key in ('loss_kd', 'loss_fitnet'):
        assert torch.allclose(got[key], want[key], rtol=1e-5, atol=1e-6), key
    with pytest.raises(ValueError, match='teacher_channels_last'):
        build(cls_distiller_cfg(teacher_channels_last='yes'))


def _nce_distiller_cfg(extra_losses=None) -> dict:
    losses = dict(loss_nce=dict(
        type='medproto.PixelInfoNCELoss', tau=0.5, num_samples=4, seed=3,
        inputs=dict(embed_S='c.embed', embed_T='t.stem',
                    gt_mask='gt_mask')))
    losses.update(extra_losses or {})
    return dict(
        type='medproto.SingleTeacherDistiller',
        student=seg_model(width=4),
        teacher=seg_model(width=6),
        student_recorders=dict(stem='backbone.stem'),
        teacher_recorders=dict(stem='backbone.stem'),
        connectors=dict(embed=dict(type='medproto.Conv1x1Connector',
                                   in_channels=4, out_channels=6,
                                   input='s.stem')),
        distill_losses=losses)


@pytest.mark.parametrize('mask', ['random', 'empty'])
def test_connector_read_at_sampled_pixels_equals_the_full_map(mask):
    """PixelInfoNCELoss reads its connector's map only at the sampled
    pixels (a PixelwiseMap): the same loss, gradients and BatchNorm
    running statistics as indexing the full map."""
    torch.manual_seed(0)
    fast = build(_nce_distiller_cfg(), scope='mmseg').train()
    assert fast._pixelwise == {('loss_nce', 'embed_S')}
    full = copy.deepcopy(fast)
    full._pixelwise = set()  # the full connector map, then indexed
    batch = seg_batch(size=16)
    if mask == 'empty':  # no foreground: a graph-connected zero
        for sample in batch['data_samples']:
            sample.gt_sem_seg.data.zero_()
    torch.manual_seed(1)  # the head's dropout
    got = loss_step(fast, batch)
    torch.manual_seed(1)
    want = loss_step(full, batch)
    torch.testing.assert_close(got['loss_nce'], want['loss_nce'])
    assert (got['loss_nce'] > 0) == (mask == 'random')
    for model, losses in ((fast, got), (full, want)):
        model.zero_grad()
        sum(v for k, v in losses.items() if 'loss' in k).backward()
    for (name, p), q in zip(fast.named_parameters(), full.parameters()):
        if q.grad is None:
            assert p.grad is None, name
        else:
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-5,
                                       atol=1e-6, msg=name)
    assert fast.connectors['embed'].layers[0].weight.grad is not None
    for (name, b), c in zip(fast.connectors.named_buffers(),
                            full.connectors.buffers()):
        torch.testing.assert_close(b, c, msg=name)


def test_a_connector_read_twice_is_computed_in_full():
    twice = dict(loss_feat=dict(type='medproto.FeatureAlignLoss',
                                inputs=dict(feats_S='c.embed',
                                            feats_T='t.stem')))
    model = build(_nce_distiller_cfg(twice), scope='mmseg')
    assert model._pixelwise == set()
    losses = loss_step(model.train(), seg_batch(size=16))
    assert {'loss_nce', 'loss_feat'} <= set(losses)
