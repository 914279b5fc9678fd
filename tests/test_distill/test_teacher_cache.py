# Copyright (c) medproto contributors. All rights reserved.
"""The teacher-output cache: builder, reader, fingerprint and the cached
distiller, on the shipped Kvasir-SEG sample (6 images, 128x128, K = 2) with
a random-weight MALUNet teacher."""
import copy
import importlib.util
import os
import os.path as osp
import re
import shutil
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, MODELS, DefaultScope

import medproto  # noqa: F401
from medproto.distill.teacher_cache import (TeacherCache, TeacherCacheError,
                                            TeacherCacheWriter,
                                            build_teacher_cache,
                                            dataset_fingerprint)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SAMPLE = osp.join(REPO, 'tests', 'data', 'kvasir_seg')
CACHED_CONFIG = osp.join(REPO, 'configs', 'maunet',
                         'maunet_kd_cached_kvasir.py')
MALUNET_CONFIG = osp.join(REPO, 'configs', 'malunet', 'malunet_kvasir.py')
LITE0_CACHED_CONFIG = osp.join(REPO, 'configs', 'maunet',
                               'maunet_kd_lite0_cached_kvasir.py')
LITE0_CONFIG = osp.join(REPO, 'configs', 'seg_teacher',
                        'effnet_lite0_unet_kvasir.py')
TOYS = osp.join(REPO, 'tests', 'data', 'distill_toys')
SIZE = 128
NUM_VIEWS = 2
IMITATION = ('loss_kd', 'loss_feat')
PREFERENCE = ('loss_nce', 'loss_l2')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'build_teacher_cache_tool',
        osp.join(REPO, 'tools', 'misc', 'build_teacher_cache.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def transform(pipeline: list, name: str) -> dict:
    return next(t for t in pipeline if t['type'] == name)


def tiny_cfg(ckpt: str, cache=None, num_views: int = NUM_VIEWS,
             data_root: str = SAMPLE, config: str = CACHED_CONFIG,
             teacher: str = MALUNET_CONFIG) -> Config:
    """configs/maunet/maunet_kd_cached_kvasir.py (or ``config``) on the
    shipped sample, with the model of ``teacher`` as the teacher."""
    cfg = Config.fromfile(config)
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = data_root
    dataset.data_prefix = dict(img_path='images', seg_map_path='masks')
    transform(dataset.pipeline, 'Resize')['scale'] = (SIZE, SIZE)
    transform(dataset.pipeline, 'ViewAugment')['num_views'] = num_views
    cfg.model.teacher = Config.fromfile(teacher).model.to_dict()
    cfg.model.teacher_ckpt = ckpt
    cfg.model.teacher_cache = cache
    # the workers read the same cache (none: the distiller runs the teacher)
    dataset.pipeline = [t for t in dataset.pipeline
                        if t['type'] != 'LoadTeacherOutputs' or cache]
    for t in dataset.pipeline:
        if t['type'] == 'LoadTeacherOutputs':
            t['cache'] = cache
    return cfg


def build(cfg_model: dict):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(copy.deepcopy(cfg_model))


def build_dataset(cfg: Config):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))


def view_batch(dataset, pairs) -> dict:
    items = []
    for i, k in pairs:
        info = dataset.get_data_info(i)
        info['view_idx'] = k
        items.append(dataset.pipeline(info))
    return pseudo_collate(items)


def write_teacher(path: str, seed: int, model_cfg=None) -> str:
    torch.manual_seed(seed)
    teacher = build(model_cfg or Config.fromfile(MALUNET_CONFIG).model)
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def two_step_run(cfg: Config, work_dir: str) -> Config:
    """``cfg`` as a two-iteration training in ``work_dir``: batch 2, no
    workers, no schedule, no validation or test, no checkpoint."""
    cfg.work_dir = work_dir
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.param_scheduler = []
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False,
                                        interval=100, save_last=False)
    return cfg


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """A random MALUNet checkpoint and its cache (K = 2) of the sample."""
    root = tmp_path_factory.mktemp('teacher_cache')
    ckpt = write_teacher(str(root / 'teacher.pth'), seed=0)
    cfg = tiny_cfg(ckpt)
    cache_dir = str(root / 'cache')
    with DefaultScope.overwrite_default_scope('mmseg'):
        meta = build_teacher_cache(build(cfg.model), build_dataset(cfg),
                                   cfg.train_dataloader.dataset, cache_dir,
                                   batch_size=4, progress=False)
    return SimpleNamespace(root=root, ckpt=ckpt, cache_dir=cache_dir,
                           meta=meta, cfg=cfg)


def test_cache_holds_the_live_teachers_outputs_on_every_view(built):
    live = build(built.cfg.model)
    dataset = build_dataset(built.cfg)
    cache = TeacherCache(built.cache_dir)
    assert (cache.num_samples, cache.num_views) == (len(dataset), NUM_VIEWS)
    assert set(cache.shapes) == set(live.teacher_recorders.names)
    pairs = [(i, k) for i in range(len(dataset)) for k in range(NUM_VIEWS)]
    for start in range(0, len(pairs), 5):  # other batches than the builder's
        chunk = pairs[start:start + 5]
        data = live.data_preprocessor(view_batch(dataset, chunk), True)
        outputs = live.record_teacher(data['inputs'], data['data_samples'])
        index = [np.array(v) for v in zip(*chunk)]
        for name, value in outputs.items():
            stored = cache.read(name, *index)
            assert stored.dtype == np.float16
            assert stored.shape == tuple(value.shape)
            assert cache.shapes[name] == tuple(value.shape[1:])
            # float16 keeps 11 significant bits: relative error <= 2**-11;
            # atol, at the tensor's scale: the teacher's float32 outputs move
            # with the batch it ran on (builder: a batch of views, here one)
            np.testing.assert_allclose(stored.astype(np.float32),
                                       value.numpy(), rtol=2**-10,
                                       atol=2**-10 * float(
                                           value.abs().max()),
                                       err_msg=name)


def test_training_draws_the_views_the_builder_stored(built):
    dataset = build_dataset(built.cfg)
    np.random.seed(1)
    seen = set()
    for i in list(range(len(dataset))) * 3:
        item = dataset[i]
        meta = item['data_samples'].metainfo
        k = meta['view_idx']
        seen.add(k)
        replay = view_batch(dataset, [(meta['sample_idx'], k)])
        assert torch.equal(item['inputs'], replay['inputs'][0])
        assert torch.equal(item['data_samples'].gt_sem_seg.data,
                           replay['data_samples'][0].gt_sem_seg.data)
    assert seen == set(range(NUM_VIEWS))


def toy_teacher(cfg: Config) -> None:
    """A two-class FCN toy teacher whose recorders bear the curriculum's
    names (the terms are never computed here)."""
    sys.path.insert(0, TOYS)
    from medproto_distill_toys import seg_model
    cfg.model.teacher = seg_model(width=4)
    cfg.model.teacher_recorders = dict(
        logits='decode_head.conv_seg', embed='backbone.stem.2',
        skip1='backbone[1]', **{f'skip{i}': 'backbone.down' for i in
                                range(2, 6)})


@pytest.mark.parametrize('teacher', ['lite0', 'toy'])
def test_any_teacher_and_recorders_are_cached_exactly(tmp_path, teacher):
    if teacher == 'lite0':
        cfg = tiny_cfg(None, num_views=1, config=LITE0_CACHED_CONFIG,
                       teacher=LITE0_CONFIG)
    else:
        cfg = tiny_cfg(None, num_views=1)
        toy_teacher(cfg)
    cfg.model.teacher_ckpt = write_teacher(str(tmp_path / 'teacher.pth'), 0,
                                           cfg.model.teacher)
    model = build(cfg.model)
    dataset = build_dataset(cfg)
    out = str(tmp_path / 'cache')
    build_teacher_cache(model, dataset, cfg.train_dataloader.dataset, out,
                        batch_size=4, progress=False)
    cache = TeacherCache(out)
    pairs = [(i, 0) for i in range(len(dataset))]
    data = model.data_preprocessor(view_batch(dataset, pairs), True)
    outputs = model.record_teacher(data['inputs'], data['data_samples'])
    assert set(cache.shapes) == set(outputs)
    index = [np.array(v) for v in zip(*pairs)]
    for name, value in outputs.items():
        np.testing.assert_allclose(
            cache.read(name, *index).astype(np.float32), value.numpy(),
            # float16 rounding (rtol), and float32 convolutions whose last
            # digits depend on the batch the teacher saw (atol)
            rtol=2**-10, atol=1e-4, err_msg=name)
    # the cached distiller of this config builds and accepts the cache
    build(dict(cfg.model, teacher_cache=out)).check_teacher_cache_data(
        dataset_fingerprint(cfg.train_dataloader.dataset, dataset))


def _sync_sampling(live, cached) -> None:
    """The InfoNCE pixel sampling of both distillers in the same state."""
    a = live.distill_losses['loss_nce'].generator
    b = cached.distill_losses['loss_nce'].generator
    if a is not None:
        b.set_state(a.get_state())


def test_a_run_from_the_cache_equals_a_live_run_step_by_step(built):
    live = build(built.cfg.model)
    cached = build(dict(built.cfg.model, teacher_cache=built.cache_dir))
    cached.student.load_state_dict(live.student.state_dict())
    _sync_sampling(live, cached)
    dataset = build_dataset(built.cfg)
    cached.check_teacher_cache_data(
        dataset_fingerprint(built.cfg.train_dataloader.dataset, dataset))

    def no_teacher(*args, **kwargs):
        raise AssertionError('the cached distiller ran its teacher')

    cached.teacher.forward = no_teacher
    # Lock-step: the live run trains; before every step the cached
    # distiller takes its weights (student and connectors) and its pixel
    # sampler, so the two losses differ only by what the cache stores.
    optim = torch.optim.SGD(live.parameters(), lr=0.01, momentum=0.9)
    live.train()
    cached.train()
    runs = {'live': [], 'cached': []}
    for step in range(6):
        stage = IMITATION if step < 3 else PREFERENCE
        batch = pseudo_collate([dataset[i] for i in (step % 6, 5 - step)])
        cached.load_state_dict(live.state_dict())
        _sync_sampling(live, cached)
        for name, model in (('cached', cached), ('live', live)):
            model.loss_scales.update(
                {k: float(k in stage) for k in model.loss_scales})
            torch.manual_seed(step)
            data = model.data_preprocessor(batch, True)
            terms = model(**data, mode='loss')
            runs[name].append({k: float(v.detach())
                               for k, v in terms.items()
                               if k.startswith('loss')})
        total = sum(v for k, v in terms.items() if 'loss' in k)
        optim.zero_grad()
        total.backward()
        optim.step()
    # float16 keeps each teacher value to a relative 2**-11; InfoNCE divides
    # the cosine similarities of its embeddings by tau, so its logits, and
    # the loss, carry up to 2 * 2**-11 / tau of relative error
    rel = dict(loss_nce=2 * 2**-11 /
               built.cfg.model.distill_losses.loss_nce.tau)
    for step, (a, b) in enumerate(zip(runs['live'], runs['cached'])):
        assert set(a) == set(b)
        stage = IMITATION if step < 3 else PREFERENCE
        assert set(stage) <= set(a), (step, a)
        for key in a:
            assert b[key] == pytest.approx(
                a[key], rel=rel.get(key, 2e-3), abs=1e-5), (
                    step, key, a[key], b[key])


def refusal(built, tmp_path, what: str) -> str:
    """Build a distiller / data check that differs from the cache in
    ``what``; return the error."""
    model_cfg = dict(built.cfg.model, teacher_cache=built.cache_dir)
    cfg = built.cfg
    if what == 'teacher checkpoint':
        model_cfg['teacher_ckpt'] = write_teacher(
            str(tmp_path / 'other.pth'), seed=1)
    elif what == 'teacher config':
        model_cfg['teacher'] = copy.deepcopy(model_cfg['teacher'])
        model_cfg['teacher']['decode_head']['threshold'] = 0.4
    elif what == 'teacher recorders':
        model_cfg['teacher_recorders'] = dict(
            model_cfg['teacher_recorders'], embed='backbone.decoder4')
    elif what == 'data preprocessor':
        model_cfg['student'] = copy.deepcopy(model_cfg['student'])
        model_cfg['student']['data_preprocessor']['mean'] = [0, 0, 0]
    elif what == 'train pipeline':
        cfg = copy.deepcopy(cfg)
        transform(cfg.train_dataloader.dataset.pipeline,
                  'ViewAugment')['seed'] = 1
    elif what == 'data files':
        root = tmp_path / 'five'
        for sub in ('images', 'masks'):
            shutil.copytree(osp.join(SAMPLE, sub), root / sub)
            (root / sub / sorted(p.name for p in (root / sub).iterdir())[0]
             ).unlink()
        cfg = tiny_cfg(built.ckpt, data_root=str(root))
    elif what == 'number of views':
        cfg = tiny_cfg(built.ckpt, num_views=3)
    with pytest.raises(TeacherCacheError) as info:
        model = build(model_cfg)
        model.check_teacher_cache_data(dataset_fingerprint(
            cfg.train_dataloader.dataset, build_dataset(cfg)))
    return str(info.value)


@pytest.mark.parametrize('what', [
    'teacher checkpoint', 'teacher config', 'teacher recorders',
    'data preprocessor', 'train pipeline', 'data files', 'number of views'
])
def test_a_cache_from_another_teacher_pipeline_or_data_is_refused(
        built, tmp_path, what):
    message = refusal(built, tmp_path, what)
    assert '\n' not in message
    assert 'was built with another' in message and f'another {what}' in message
    assert 'tools/misc/build_teacher_cache.py' in message


def test_the_cache_is_not_read_before_the_data_check(built):
    cached = build(dict(built.cfg.model, teacher_cache=built.cache_dir))
    dataset = build_dataset(built.cfg)
    batch = pseudo_collate([dataset[0], dataset[1]])
    data = cached.data_preprocessor(batch, True)
    with pytest.raises(TeacherCacheError, match='TeacherCacheHook'):
        cached(**data, mode='loss')
    cached.check_teacher_cache_data(
        dataset_fingerprint(built.cfg.train_dataloader.dataset, dataset))
    for sample in data['data_samples']:
        del sample.view_idx
    with pytest.raises(TeacherCacheError, match="'view_idx' in the metainfo"):
        cached(**data, mode='loss')


def test_cache_config_errors_are_one_line(built):
    model_cfg = dict(built.cfg.model, teacher_ckpt=None,
                     teacher_cache=built.cache_dir)
    with pytest.raises(TeacherCacheError, match='needs a local teacher_ckpt'):
        build(model_cfg)
    with pytest.raises(TeacherCacheError, match=r'dict\(path=FOLDER\)'):
        build(dict(built.cfg.model, teacher_cache=dict(dir='x')))
    with pytest.raises(FileNotFoundError, match='no meta.json'):
        build(dict(built.cfg.model,
                   teacher_cache=dict(path=str(built.root))))


@pytest.mark.parametrize('change, match', [
    (lambda p: p.insert(3, dict(type='RandomFlip', prob=0.5)),
     'RandomFlip draws random parameters'),
    (lambda p: p.pop(3), 'needs exactly one ViewAugment'),
])
def test_pipelines_the_cache_cannot_replay_are_refused(built, change, match):
    cfg = copy.deepcopy(built.cfg)
    change(cfg.train_dataloader.dataset.pipeline)
    with pytest.raises(TeacherCacheError, match=match):
        dataset_fingerprint(cfg.train_dataloader.dataset, build_dataset(cfg))


def test_the_builder_writes_atomically(built, tmp_path, monkeypatch):
    model = build(built.cfg.model)
    dataset = build_dataset(built.cfg)
    args = (model, dataset, built.cfg.train_dataloader.dataset)
    with pytest.raises(TeacherCacheError, match='exists'):
        build_teacher_cache(*args, built.cache_dir, progress=False)
    calls = []
    write = TeacherCacheWriter.write

    def failing_write(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError('disk full')
        return write(self, *a, **k)

    monkeypatch.setattr(TeacherCacheWriter, 'write', failing_write)
    out = str(tmp_path / 'cache')
    with pytest.raises(RuntimeError, match='disk full'):
        build_teacher_cache(*args, out, batch_size=4, progress=False)
    assert not osp.exists(out) and not osp.exists(out + '.tmp')


def test_a_model_copy_does_not_copy_the_cache(built):
    cached = build(dict(built.cfg.model, teacher_cache=built.cache_dir))
    index = (np.array([0, 5]), np.array([1, 0]))
    first = cached.teacher_cache.read('logits', *index)
    assert cached.teacher_cache._arrays
    clone = copy.deepcopy(cached)
    assert clone.teacher_cache._arrays == {}
    np.testing.assert_array_equal(clone.teacher_cache.read('logits', *index),
                                  first)


def test_the_tool_prints_time_and_size_and_refuses_in_one_line(
        built, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv('MEDPROTO_DEBUG', raising=False)
    tool = load_tool()
    cfg = copy.deepcopy(built.cfg)
    cfg_file = str(tmp_path / 'kd_cached.py')
    cfg.dump(cfg_file)
    out = str(tmp_path / 'cache')
    tool.main([cfg_file, built.ckpt, '--out', out, '--num-views', '3',
               '--workers', '0', '--batch-size', '4'])
    text = capsys.readouterr().out
    assert 'num_views=2' in text  # the note: the config draws from 2
    assert '6 images x 3 views' in text and 'build time' in text
    assert 'KiB per view' in text
    assert TeacherCache(out).num_views == 3
    with pytest.raises(SystemExit) as info:
        tool.main([cfg_file, built.ckpt, '--out', out, '--workers', '0'])
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: teacher cache') and 'exists' in err
    assert '\n' not in err


def test_runner_trains_from_the_cache_with_the_hook(built, tmp_path):
    from mmengine.runner import Runner

    cfg = two_step_run(copy.deepcopy(built.cfg), str(tmp_path / 'work'))
    cfg.model.teacher_cache = built.cache_dir
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert runner.model._cache_data_checked
    # the same run with another K is refused before the first step
    cfg.work_dir = str(tmp_path / 'work_k3')
    transform(cfg.train_dataloader.dataset.pipeline,
              'ViewAugment')['num_views'] = 3
    with pytest.raises(TeacherCacheError, match='another train pipeline'):
        Runner.from_cfg(cfg).train()


def loading_cfg(built, cache=None) -> Config:
    """The sample's config with ``LoadTeacherOutputs`` reading ``cache``
    (default: the built cache)."""
    cfg = tiny_cfg(built.ckpt, cache=built.cache_dir)
    if cache is not None:
        transform(cfg.train_dataloader.dataset.pipeline,
                  'LoadTeacherOutputs')['cache'] = cache
    return cfg


def test_the_loader_changes_neither_fingerprint_nor_build(built, tmp_path):
    loading = loading_cfg(built, cache=str(tmp_path / 'not_built_yet'))
    assert dataset_fingerprint(
        loading.train_dataloader.dataset, build_dataset(loading)) == \
        dataset_fingerprint(built.cfg.train_dataloader.dataset,
                            build_dataset(built.cfg))
    # the builder skips the transform (its folder does not exist yet)
    out = str(tmp_path / 'rebuilt')
    with DefaultScope.overwrite_default_scope('mmseg'):
        build_teacher_cache(build(loading.model), build_dataset(loading),
                            loading.train_dataloader.dataset, out,
                            batch_size=4, progress=False)
    a, b = TeacherCache(built.cache_dir), TeacherCache(out)
    assert a.fingerprint == b.fingerprint
    index = (np.arange(a.num_samples), np.zeros(a.num_samples, int))
    for name in a.shapes:
        np.testing.assert_allclose(a.read(name, *index), b.read(name, *index),
                                   rtol=2**-10, atol=1e-3, err_msg=name)


def test_the_step_uses_the_outputs_the_loader_read(built, monkeypatch):
    loading = loading_cfg(built)
    reading = build(dict(built.cfg.model, teacher_cache=built.cache_dir))
    loaded = build(dict(built.cfg.model, teacher_cache=built.cache_dir))
    loaded.load_state_dict(reading.state_dict())
    pairs = [(0, 1), (3, 0), (5, 1)]
    batches = dict(reading=view_batch(build_dataset(built.cfg), pairs),
                   loaded=view_batch(build_dataset(loading), pairs))
    assert all('teacher_outputs' in ds and 'teacher_outputs_of' in ds.metainfo
               for ds in batches['loaded']['data_samples'])
    losses = {}
    for name, model in (('reading', reading), ('loaded', loaded)):
        model.check_teacher_cache_data(dataset_fingerprint(
            built.cfg.train_dataloader.dataset, build_dataset(built.cfg)))
        model.loss_scales.update(loss_nce=0.0)  # no pixel sampling
        if name == 'loaded':  # the step must not read the cache itself
            monkeypatch.setattr(model.teacher_cache, 'read', None)
        torch.manual_seed(0)
        data = model.data_preprocessor(batches[name], True)
        losses[name] = {k: v for k, v in model(**data, mode='loss').items()
                        if k.startswith('loss')}
    assert set(losses['loaded']) == set(losses['reading'])
    for key, value in losses['reading'].items():
        assert torch.equal(losses['loaded'][key], value), key  # same bytes
    # values from another cache are refused, in one line
    for ds in batches['loaded']['data_samples']:
        ds.set_metainfo(dict(teacher_outputs_of=dict(
            ds.teacher_outputs_of, cache='0123456789abcdef')))
    data = loaded.data_preprocessor(batches['loaded'], True)
    with pytest.raises(TeacherCacheError,
                       match='read another teacher cache') as err:
        loaded(**data, mode='loss')
    assert '\n' not in str(err.value)


def test_runner_workers_read_the_cache_with_the_hook(built, tmp_path):
    from mmengine.runner import Runner

    cfg = two_step_run(loading_cfg(built), str(tmp_path / 'work'))
    cfg.train_dataloader.update(num_workers=1)  # read in a worker process
    runner = Runner.from_cfg(cfg)
    runner.model.teacher_cache.read = None  # the step does not read it
    runner.train()
    assert runner.iter == 2
    # a transform reading another folder is refused before the first step
    other = str(tmp_path / 'copy')
    shutil.copytree(built.cache_dir, other)
    cfg = two_step_run(loading_cfg(built, cache=other),
                       str(tmp_path / 'work_other'))
    with pytest.raises(TeacherCacheError, match='reads .* but '
                       'model.teacher_cache is') as err:
        Runner.from_cfg(cfg).train()
    assert '\n' not in str(err.value)


@pytest.fixture(scope='module')
def lite0_cache(tmp_path_factory):
    """A random Lite0 U-Net checkpoint and its cache (K = 2) of the sample,
    built with configs/maunet/maunet_kd_lite0_cached_kvasir.py."""
    root = tmp_path_factory.mktemp('lite0_cache')
    cfg = tiny_cfg(None, config=LITE0_CACHED_CONFIG, teacher=LITE0_CONFIG)
    ckpt = write_teacher(str(root / 'teacher.pth'), 0, cfg.model.teacher)
    cfg.model.teacher_ckpt = ckpt
    cache_dir = str(root / 'cache')
    with DefaultScope.overwrite_default_scope('mmseg'):
        build_teacher_cache(build(cfg.model), build_dataset(cfg),
                            cfg.train_dataloader.dataset, cache_dir,
                            batch_size=4, progress=False)
    return SimpleNamespace(ckpt=ckpt, cache_dir=cache_dir)


@pytest.mark.parametrize('config, losses', [
    ('maunet_kd_lite0_cached_kvasir.py', IMITATION + PREFERENCE),
    ('maunet_kd_lite0_imitation_cached_kvasir.py', IMITATION),
    ('maunet_kd_lite0_preference_cached_kvasir.py', PREFERENCE),
    ('maunet_kd_lite0_fast_cached_kvasir.py', IMITATION + PREFERENCE),
])
def test_one_lite0_cache_serves_every_cached_term_config(
        lite0_cache, tmp_path, config, losses):
    """The curriculum, each of its two stages alone and its cheaper
    settings read the cache of the curriculum config: two steps each, with
    exactly their terms."""
    from mmengine.runner import Runner

    cfg = tiny_cfg(lite0_cache.ckpt, cache=lite0_cache.cache_dir,
                   config=osp.join(REPO, 'configs', 'maunet', config),
                   teacher=LITE0_CONFIG)
    runner = Runner.from_cfg(two_step_run(cfg, str(tmp_path / 'work')))
    runner.train()
    assert runner.iter == 2
    assert runner.model._cache_data_checked
    assert runner.model.teacher_cache is not None
    assert sorted(runner.model.distill_losses) == sorted(losses)
    assert sorted(runner.model.loss_scales) == sorted(losses)
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss)


@pytest.mark.parametrize('positioned', [True, False])
def test_reads_are_the_stored_bytes(built, monkeypatch, positioned):
    if not positioned:  # the seek + readinto path of systems without it
        monkeypatch.delattr(os, 'preadv', raising=False)
    cache = TeacherCache(built.cache_dir)
    rng = np.random.default_rng(0)
    for name, shape in cache.shapes.items():
        stored = np.load(osp.join(built.cache_dir, f'{name}.npy'))
        samples = rng.integers(0, cache.num_samples, 7)
        views = rng.integers(0, cache.num_views, 7)
        samples[1], views[1] = samples[0], views[0]  # a view twice
        got = cache.read(name, samples, views)
        assert got.dtype == np.float16 and got.shape == (7, *shape)
        # bit for bit (uint16 views: NaN-safe)
        np.testing.assert_array_equal(got.view(np.uint16),
                                      stored[samples, views].view(np.uint16))
        assert cache.read(name, [], []).shape == (0, *shape)
    with pytest.raises(TeacherCacheError, match='outside'):
        cache.read('logits', [cache.num_samples], [0])
    with pytest.raises(TeacherCacheError, match='2 sample indices but 1'):
        cache.read('logits', [0, 1], [0])


def test_a_truncated_cache_file_is_refused_in_one_line(built, tmp_path):
    path = str(tmp_path / 'cache')
    shutil.copytree(built.cache_dir, path)
    cache = TeacherCache(path)
    last = (np.array([cache.num_samples - 1]), np.array([cache.num_views - 1]))
    cache.read('logits', *last)  # opens the file
    file = osp.join(path, 'logits.npy')
    with open(file, 'r+b') as f:
        f.truncate(osp.getsize(file) - 2)
    with pytest.raises(TeacherCacheError, match='shorter than its header'):
        cache.read('logits', *last)  # the file was open
    cache.close()
    with pytest.raises(TeacherCacheError, match='truncated') as info:
        cache.read('logits', *last)  # reopened
    assert '\n' not in str(info.value)


def test_a_pickled_cache_reopens_its_files(built):
    import pickle

    cache = TeacherCache(built.cache_dir)
    index = (np.array([3, 0]), np.array([0, 1]))
    first = cache.read('embed', *index)
    assert cache._files
    clone = pickle.loads(pickle.dumps(cache))
    assert clone._files == {} and clone._arrays == {}
    np.testing.assert_array_equal(clone.read('embed', *index), first)
    cache.close()
    assert cache._files == {}
    np.testing.assert_array_equal(cache.read('embed', *index), first)


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'benchmark_kd_step_tool',
        osp.join(REPO, 'tools', 'benchmarks', 'benchmark_kd_step.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_kd_step_benchmark_times_each_stage_from_the_cache(
        built, tmp_path, capsys, monkeypatch):
    from medproto.distill.distillers import SingleTeacherDistiller

    monkeypatch.chdir(REPO)
    tool = load_benchmark()
    cfg_file = str(tmp_path / 'kd_cached.py')
    built.cfg.dump(cfg_file)
    reads = []
    read = TeacherCache.read

    def counted_read(self, name, *index):
        reads.append(name)
        return read(self, name, *index)

    def no_teacher(*args, **kwargs):
        raise AssertionError('the cached benchmark ran the teacher')

    monkeypatch.setattr(TeacherCache, 'read', counted_read)
    monkeypatch.setattr(SingleTeacherDistiller, '_run_teacher', no_teacher)
    tool.main(['--kd-config', cfg_file, '--teacher-ckpt', built.ckpt,
               '--cache', built.cache_dir, '--iters', '2', '--warmup', '1',
               '--batch-size', '2', '--size', '128', '--threads', '1',
               '--clock', 'cpu', '--per-term'])
    out = capsys.readouterr().out
    rows = dict(re.findall(r'^(student only|KD [a-z_2 ()]+?)\s+[\d.]+\s+'
                           r'[\d.]+\s+([\d.]+)x$', out, re.M))
    terms = [f'KD {t} only (cache)' for t in IMITATION + PREFERENCE]
    assert list(rows)[:4] == ['student only', 'KD no terms',
                              'KD imitation (cache)', 'KD preference (cache)']
    assert sorted(list(rows)[4:]) == sorted(terms)
    assert rows['student only'] == '1.00'
    assert 'medians of 2 interleaved steps over 3 real batches' in out
    # 3 steps per row; each reads only what its terms use, once a step
    skips = [f'skip{i}' for i in range(1, 6)]
    expected = (['logits'] + skips + ['embed', 'logits'] + ['logits'] +
                skips + ['embed', 'logits'])
    assert sorted(reads) == sorted(3 * expected)


def test_the_kd_step_benchmark_times_the_loader_and_the_step_read(
        built, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    tool = load_benchmark()
    cfg_file = str(tmp_path / 'kd_loading.py')
    loading_cfg(built, cache='elsewhere').dump(cfg_file)  # --cache wins
    reads = []
    read = TeacherCache.read

    def counted_read(self, name, *index):
        reads.append(name)
        return read(self, name, *index)

    monkeypatch.setattr(TeacherCache, 'read', counted_read)
    tool.main(['--kd-config', cfg_file, '--teacher-ckpt', built.ckpt,
               '--cache', built.cache_dir, '--iters', '2', '--warmup', '1',
               '--batch-size', '2', '--threads', '1', '--clock', 'cpu'])
    out = capsys.readouterr().out
    rows = re.findall(r'^(student only|KD [a-z ()]+?)\s+[\d.]+\s+[\d.]+'
                      r'\s+[\d.]+x$', out, re.M)
    assert rows == ['student only', 'KD no terms', 'KD imitation (cache)',
                    'KD preference (cache)', 'KD imitation (read in step)',
                    'KD preference (read in step)']
    assert re.search(r"LoadTeacherOutputs read the cache: [\d.]+ ms per "
                     'batch', out)
    # only the "read in step" rows read the cache in the step
    skips = [f'skip{i}' for i in range(1, 6)]
    assert sorted(reads) == sorted(3 * (['logits'] + skips +
                                        ['embed', 'logits']))


def test_the_kd_step_benchmark_refuses_in_one_line(built, capsys,
                                                   monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv('MEDPROTO_DEBUG', raising=False)
    tool = load_benchmark()
    with pytest.raises(SystemExit) as info:
        tool.parse_args(['--cache', built.cache_dir])
    assert info.value.code == 2
    assert '--cache needs --teacher-ckpt' in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        tool.main(['--kd-config', MALUNET_CONFIG, '--teacher-ckpt',
                   built.ckpt, '--cache', built.cache_dir])
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: --kd-config is not a distillation config')
    assert '\n' not in err
