# Copyright (c) medproto contributors. All rights reserved.
"""The PBC-LT100 distillation configs (micro teacher -> nano prototype
student, configs/pbc/distill/) and their ablation grid."""
import glob
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = osp.join(ROOT, 'configs', 'pbc', 'distill')
sys.path.insert(0, osp.join(ROOT, 'tests', 'data', 'distill_toys'))

from medproto_distill_toys import cls_batch, default_scope  # noqa: E402

from medproto.registry import MODELS  # noqa: E402
from medproto.utils.ablation_grid import load_grid  # noqa: E402

SUFFIX = '_micro_nano_proto5_lt100.py'
METHODS = ('kd', 'fitnet', 'at', 'rkd', 'crd', 'dkd', 'reviewkd')
PAIRS = tuple(f'{a}_{b}' for i, a in enumerate(METHODS)
              for b in METHODS[i + 1:])
# Pairs that also run a step: each joins two parts checked on their own;
# these cover every input kind together (logits, stage maps, connector,
# embeddings + sample_idx, five-level Review KD).
STEP_PAIRS = ('kd_fitnet', 'at_crd', 'rkd_reviewkd', 'dkd_reviewkd')
TEACHER_CKPT = 'work_dirs/pbc_teacher_micro_lt100/best_macro_f1_epoch_*.pth'
# Review KD into the class-balanced linear-head student (the head control).
CONTROL = 'reviewkd_micro_nano_linear_cb_lt100.py'
# From the pretrained Lite0 teacher (test_distill_pbc_lite0_configs.py).
LITE0 = {f'{m}_lite0_nano_proto5_lt100.py'
         for m in ('kd', 'reviewkd', 'rkd_reviewkd')}


@pytest.fixture(autouse=True)
def repo_root(monkeypatch):
    """The teacher is `cfg_path='configs/pbc/...'`, relative to the root
    (as for tools/train.py)."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope='module')
def batch():
    # 3 images, not 2: RKD's distance and angle terms are 0 for 2 samples.
    # cls_batch gives gt_label and sample_idx (10, 11, 12) in the metainfo.
    return cls_batch(num=3, size=128)


def load(methods: str) -> Config:
    return Config.fromfile(osp.join(CONFIGS, methods + SUFFIX))


def build(cfg: Config, teacher_ckpt=None):
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = teacher_ckpt
    model_cfg.data_preprocessor = cfg.data_preprocessor
    with default_scope(cfg.default_scope):
        return MODELS.build(model_cfg)


def test_every_method_and_pair_has_a_config():
    found = {osp.basename(p) for p in glob.glob(osp.join(CONFIGS, '*.py'))}
    assert found == {m + SUFFIX for m in METHODS + PAIRS} | {CONTROL} | LITE0
    assert len(PAIRS) == 21


@pytest.mark.parametrize('methods', METHODS + PAIRS)
def test_config_builds_and_trains_a_step(methods, batch):
    cfg = load(methods)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.train_cfg.max_epochs == 6
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.dataset.imbalance_factor == 100
    model_cfg = cfg.model
    assert model_cfg.teacher_ckpt == TEACHER_CKPT
    names = methods.split('_')
    assert set(model_cfg.distill_losses) == {f'loss_{m}' for m in names}
    assert model_cfg.task_loss_weight == (0.1 if 'kd' in names else 1.0)
    model = build(cfg)
    assert type(model.student.head).__name__ == 'MultiPrototypeHead'
    assert model.teacher.backbone.arch_settings['dims'][-1] == 384
    if methods not in METHODS + STEP_PAIRS:
        return
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    rules = {g['rule']: g for g in optim_wrapper.optimizer.param_groups}
    # The student's prototypes keep their no-decay rule in the distiller.
    assert rules['student.head.prototype_manager']['weight_decay'] == 0
    model.train()
    before = model.student.head.proj[0].weight.detach().clone()
    losses = model.train_step(batch, optim_wrapper)
    assert {f'loss_{m}' for m in names} <= set(losses)
    assert {'loss_cls', 'loss_proto'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    assert all(losses[f'loss_{m}'] > 0 for m in names)
    assert not torch.equal(model.student.head.proj[0].weight, before)


def test_recorders_see_every_input_in_loss_mode(batch):
    """The student's logits and embedding come from the head's taps in
    loss mode (MultiPrototypeHead.loss does not call forward); the stage
    maps and pooled vectors have the shapes the connectors expect."""
    cfg = load('kd')
    refs = [f'{w}.{n}' for w in 'st'
            for n in ('logits', 'pooled', 'feat0', 'feat1', 'feat2',
                      'feat3')]
    cfg.model.distill_losses = dict(
        loss_probe=dict(type='medproto.TestProbeLoss',
                        inputs={r.replace('.', '_'): r for r in refs}))
    model = build(cfg)
    model.eval()  # no dropout, no prototype update: comparable numbers
    data = model.data_preprocessor(batch, True)
    with torch.no_grad():
        model(**data, mode='loss')
        seen = model.distill_losses.loss_probe.seen
        assert torch.equal(seen['s_logits'],
                           model(data['inputs'], mode='tensor'))
        feats = model.student.extract_feat(data['inputs'])
        assert torch.equal(seen['s_pooled'],
                           model.student.head.pre_logits(feats))
    assert {k: tuple(v.shape) for k, v in seen.items()} == {
        's_logits': (3, 8), 's_pooled': (3, 128),
        's_feat0': (3, 32, 32, 32), 's_feat1': (3, 64, 16, 16),
        's_feat2': (3, 128, 8, 8), 's_feat3': (3, 256, 4, 4),
        't_logits': (3, 8), 't_pooled': (3, 384),
        't_feat0': (3, 48, 32, 32), 't_feat1': (3, 96, 16, 16),
        't_feat2': (3, 192, 8, 8), 't_feat3': (3, 384, 4, 4)}


def test_pair_values():
    crd = load('crd').model.distill_losses.loss_crd
    assert (crd.s_dim, crd.t_dim, crd.num_data) == (128, 384, 1752)
    hint = load('fitnet').model.connectors.hint
    assert hint.input == 's.feat2'
    assert (hint.student_shape, hint.teacher_shape) == ((128, 8, 8),
                                                        (192, 8, 8))
    review = load('reviewkd').model.distill_losses.loss_reviewkd
    assert review.in_channels == [32, 64, 128, 256, 128]
    assert review.out_channels == [48, 96, 192, 384, 384]
    assert review.shapes == [32, 16, 8, 4, 1]
    for loss in (review, load('dkd').model.distill_losses.loss_dkd):
        assert (loss.warmup_iters, loss.warmup_epochs) == (55, None)
    at = load('at').model.distill_losses.loss_at
    assert at.inputs.feat_T == ['t.feat0', 't.feat1', 't.feat2', 't.feat3']


def test_teacher_checkpoint_glob_is_loaded(tmp_path):
    """`teacher_ckpt` is a glob (mmengine names the best checkpoint after
    its epoch); a random teacher saved there stands for the trained one."""
    cfg = load('kd')
    teacher = build(cfg).teacher
    torch.nn.init.normal_(teacher.head.fc.weight)
    torch.save(dict(state_dict=teacher.state_dict()),
               tmp_path / 'best_macro_f1_epoch_4.pth')
    model = build(cfg, str(tmp_path / 'best_macro_f1_epoch_*.pth'))
    assert torch.equal(model.teacher.head.fc.weight, teacher.head.fc.weight)


def test_teacher_config_is_the_micro_linear_model():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'pbc', 'dual_micro_linear_cb_lt100.py'))
    assert cfg.model.backbone.arch == 'micro'
    assert cfg.model.head.loss.type == 'ClassBalancedCrossEntropyLoss'
    with default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    # The numbers its header gives (tools/analysis_tools/efficiency.py).
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 2) == 10.99


def test_grid_lists_the_student_then_singles_then_pairs():
    grid = load_grid(osp.join(ROOT, 'configs', 'ablations', 'pbc_distill.py'))
    assert grid.name == 'pbc_distill' and grid.seeds == [42]
    assert grid.metrics == ['top1', 'macro_f1', 'macro_auc', 'many_recall',
                            'medium_recall', 'few_recall']
    assert grid.efficiency and grid.input_shape == (3, 128, 128)
    labels = [e.label for e in grid.entries]
    assert labels == ['student', *METHODS,
                      *(p.replace('_', '+') for p in PAIRS)]
    assert grid.entries[0].config.endswith(
        'configs/pbc/dual_nano_proto5_lt100.py')
    for entry, methods in zip(grid.entries[1:], METHODS + PAIRS):
        assert entry.config.endswith(f'configs/pbc/distill/{methods}{SUFFIX}')


def test_teacher12e_grid_is_the_same_grid_from_the_longer_teacher():
    """The rows and configs of pbc_distill.py, then the linear-head control
    (alone and with Review KD); every distilled row loads the 12-epoch
    teacher (its training config exists), the students alone have no
    teacher to override."""
    base = load_grid(osp.join(ROOT, 'configs', 'ablations', 'pbc_distill.py'))
    grid = load_grid(osp.join(ROOT, 'configs', 'ablations',
                              'pbc_distill_teacher12e.py'))
    assert grid.name == 'pbc_distill_teacher12e'
    control = grid.entries[-2:]
    assert [(e.label, osp.basename(e.config)) for e in control] == [
        ('linear_cb', 'dual_nano_linear_cb_lt100.py'),
        ('linear_cb+reviewkd', CONTROL)]
    assert control[0].cfg_options == {}
    grid.entries = grid.entries[:-2]
    assert [(e.label, e.config) for e in grid.entries] == [
        (e.label, e.config) for e in base.entries]
    assert (grid.seeds, grid.metrics, grid.input_shape) == (
        base.seeds, base.metrics, base.input_shape)
    teacher12e = TEACHER_CKPT.replace('micro_lt100', 'micro_12e_lt100')
    assert grid.entries[0].cfg_options == {}
    for entry in grid.entries[1:] + control[1:]:
        assert entry.cfg_options == {'model.teacher_ckpt': teacher12e}, entry
    teacher_cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'pbc', 'dual_micro_linear_cb_12e_lt100.py'))
    assert teacher_cfg.train_cfg.max_epochs == 12
    # the override reaches the distiller of a built config
    cfg = Config.fromfile(grid.entries[1].config)
    cfg.merge_from_dict(grid.entries[1].cfg_options)
    assert cfg.model.teacher_ckpt == teacher12e


def test_linear_head_control_differs_only_in_the_student(batch):
    """Review KD into the CB linear-head model: the teacher, stage maps,
    schedule and loss of the prototype config, the linear model's own
    parameter rules, and Review KD's last level sized for its (B, 256)
    pooled vector. It trains a step through every recorder."""
    proto = load('reviewkd')
    cfg = Config.fromfile(osp.join(CONFIGS, CONTROL))
    linear = Config.fromfile(
        osp.join(ROOT, 'configs', 'pbc', 'dual_nano_linear_cb_lt100.py'))
    for key in ('train_dataloader', 'val_evaluator', 'train_cfg',
                'param_scheduler'):
        assert cfg[key] == proto[key], key
    assert cfg.optim_wrapper == linear.optim_wrapper
    assert cfg.model.teacher == proto.model.teacher
    assert cfg.model.teacher_ckpt == TEACHER_CKPT
    assert cfg.model.teacher_recorders == proto.model.teacher_recorders
    review, proto_review = (c.model.distill_losses.loss_reviewkd
                            for c in (cfg, proto))
    assert review.in_channels == [32, 64, 128, 256, 256]
    assert {k: v for k, v in review.items() if k != 'in_channels'} == {
        k: v for k, v in proto_review.items() if k != 'in_channels'}
    model = build(cfg)
    assert type(model.student.head).__name__ == 'LinearClsHead'
    with default_scope(linear.default_scope):
        alone = MODELS.build(linear.model)
    assert list(model.student.state_dict()) == list(alone.state_dict())
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    before = model.student.head.fc.weight.detach().clone()
    losses = model.train_step(batch, optim_wrapper)
    # LinearClsHead's 'loss' is logged as the distiller's 'loss_task'
    assert {'loss_task', 'loss_reviewkd'} <= set(losses)
    assert losses['loss_reviewkd'] > 0 and torch.isfinite(
        losses['loss_reviewkd'])
    assert not torch.equal(model.student.head.fc.weight, before)
