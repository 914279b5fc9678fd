# Copyright (c) medproto contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample

import medproto  # noqa: F401
from medproto.models.layers.layout import nchw_to_tokens
from medproto.visualization import (build_prototype_gallery,
                                    gallery_dataset_cfg,
                                    plot_prototype_gallery,
                                    prototype_embeddings)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CLS = osp.join(REPO, 'tests', 'data', 'configs', 'cls_tiny.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'

# A ResNet cut after its second stage: 16 channels at stride 8.
BACKBONE = dict(type='ResNet', depth=18, num_stages=2, strides=(1, 2),
                dilations=(1, 1), out_indices=(1, ), stem_channels=8,
                base_channels=8)


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def classifier(attention=True, neck=None, head=None):
    head = head or dict(
        type='MultiPrototypeHead', num_classes=3, in_channels=16,
        embed_dims=16, num_prototypes=2, max_prototypes=3,
        attention=dict(type='MixedAttentionBlock', num_heads=2)
        if attention else None)
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', data_preprocessor=dict(num_classes=3),
        backbone=BACKBONE, neck=neck, head=head))
    if 'MultiPrototype' in head['type']:
        active = model.head.prototype_manager.active
        active[0, 2] = True   # class 0: 3 prototypes
        active[2, 1] = False  # class 2: 1 prototype
    return model


class ToyDataset:
    """Random uint8 images as a test pipeline gives them."""

    def __init__(self, n=10, sizes=((32, 32), ), seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.items = []
        for i in range(n):
            h, w = sizes[i % len(sizes)]
            img = torch.randint(0, 256, (3, h, w), generator=gen,
                                dtype=torch.uint8)
            sample = DataSample(metainfo=dict(
                img_path=f'img_{i}.png', img_shape=(h, w)))
            sample.set_gt_label(i % 3)
            self.items.append(dict(inputs=img, data_samples=sample))
        self.metainfo = dict(classes=('a', 'b', 'c'))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def brute_force(model, dataset):
    """Image and best-patch similarities of every sample, in one batch."""
    batch = dict(inputs=[d['inputs'] for d in dataset.items],
                 data_samples=[d['data_samples'] for d in dataset.items])
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        feats = model.extract_feat(data['inputs'])
        image = model.head.similarities(feats)[1]  # (N, K, M)
        if model.head.attention is None:
            # independent of prototype_embeddings: shared prototypes
            tokens = F.normalize(
                model.head.proj(nchw_to_tokens(feats[-1])), dim=-1)
            protos = model.head.prototype_manager.normalized_prototypes()
            patch = torch.einsum('bnd,kmd->bkmn', tokens, protos).amax(-1)
        else:
            _, tokens, protos = prototype_embeddings(model.head, feats)
            patch = torch.einsum('bnd,bkmd->bkmn', tokens, protos).amax(-1)
    return image, patch


@pytest.mark.parametrize('attention,rank_by', [(True, 'image'),
                                               (True, 'patch'),
                                               (False, 'patch')])
def test_topk_are_the_k_most_similar_of_all_samples(attention, rank_by):
    model = classifier(attention)
    dataset = ToyDataset(n=10)
    image, patch = brute_force(model, dataset)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gallery = build_prototype_gallery(model, dataset, topk=4,
                                      rank_by=rank_by, batch_size=3)
    assert model.training  # mode restored, nothing updated
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key

    active = model.head.prototype_manager.active
    assert set(gallery.matches) == {
        tuple(ij) for ij in active.nonzero().tolist()}
    assert len(gallery.matches) == 6 and (2, 1) not in gallery.matches
    assert gallery.spatial and gallery.feat_size == (4, 4)
    assert gallery.num_samples == 10 and gallery.class_names == ['a', 'b',
                                                                 'c']
    scores = image if rank_by == 'image' else patch
    for (c, slot), matches in gallery.matches.items():
        expected = scores[:, c, slot].topk(4)
        assert [m.index for m in matches] == expected.indices.tolist()
        assert [m.similarity for m in matches] == pytest.approx(
            expected.values.tolist(), abs=1e-5)
        for m in matches:
            assert m.image_similarity == pytest.approx(
                float(image[m.index, c, slot]), abs=1e-5)
            assert m.patch_similarity == pytest.approx(
                float(patch[m.index, c, slot]), abs=1e-5)
            assert m.img_path == f'img_{m.index}.png'
            assert m.gt_label == m.index % 3


def test_prototype_embeddings_reproduce_head_similarities():
    model = classifier().eval()
    feats = (torch.randn(2, 16, 3, 5), )
    z, tokens, protos = prototype_embeddings(model.head, feats)
    assert tokens.shape == (2, 15, 16) and protos.shape == (2, 3, 3, 16)
    with torch.no_grad():
        expected = model.head.similarities(feats)[1]
    assert torch.allclose(torch.einsum('bd,bkmd->bkm', z, protos), expected,
                          atol=1e-6)


def test_boxes_are_cells_inside_each_unpadded_image():
    model = classifier()
    # different sizes in one batch: the preprocessor pads to 40 x 48
    dataset = ToyDataset(n=6, sizes=((40, 32), (24, 48), (32, 40)))
    gallery = build_prototype_gallery(model, dataset, topk=6,
                                      rank_by='patch', batch_size=3)
    for matches in gallery.matches.values():
        assert len(matches) == 6
        for m in matches:
            h, w = dataset[m.index]['inputs'].shape[-2:]
            x1, y1, x2, y2 = m.box
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
            assert x1 % 8 == 0 and y1 % 8 == 0  # a stride-8 cell
            assert x2 - x1 <= 8 and y2 - y1 <= 8


def test_same_class_and_fewer_samples_than_k():
    model = classifier()
    gallery = build_prototype_gallery(model, ToyDataset(n=7), topk=5,
                                      same_class=True, max_samples=5)
    assert gallery.num_samples == 5
    for (c, _), matches in gallery.matches.items():
        # samples 0..4 have labels 0 1 2 0 1
        assert len(matches) == (2 if c < 2 else 1)
        assert all(m.gt_label == c for m in matches)


def test_pooled_features_give_whole_images(tmp_path):
    model = classifier(attention=False, neck=dict(type='GlobalAveragePooling'))
    dataset = ToyDataset(n=4)
    gallery = build_prototype_gallery(model, dataset, topk=2)
    assert not gallery.spatial and gallery.feat_size is None
    match = gallery.matches[(0, 0)][0]
    assert match.box is None and match.patch_similarity is None
    with pytest.raises(ValueError, match="rank_by='patch' needs a spatial"):
        build_prototype_gallery(model, dataset, rank_by='patch')
    out = plot_prototype_gallery(gallery, dataset, str(tmp_path / 'g.png'),
                                 crop=True)
    assert open(out, 'rb').read(8) == PNG_MAGIC
    assert gallery.to_dict()['patch'] == 'whole image'


def test_clear_errors_for_bad_head_and_k():
    linear = classifier(neck=dict(type='GlobalAveragePooling'), head=dict(
        type='LinearClsHead', num_classes=3, in_channels=16))
    with pytest.raises(ValueError, match="head is a LinearClsHead; the "
                       'prototype gallery needs a MultiPrototypeHead'):
        build_prototype_gallery(linear, ToyDataset(n=2))
    with pytest.raises(ValueError, match='topk must be an int >= 1'):
        build_prototype_gallery(classifier(), ToyDataset(n=2), topk=0)
    with pytest.raises(ValueError, match='rank_by must be one of'):
        build_prototype_gallery(classifier(), ToyDataset(n=2), rank_by='x')


# ---------------------------------------------------------------- the tool


def load_tool():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'prototype_gallery.py')
    spec = importlib.util.spec_from_file_location('prototype_gallery_tool',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(tmp_path, proto_head=True):
    """cls_tiny.py with the small ResNet, a random-flip train pipeline and
    a MultiPrototypeHead (or its LinearClsHead); saves a checkpoint."""
    from medproto.utils.model_loading import build_model_from_config
    if proto_head:
        model = (f'model = dict(backbone=dict(_delete_=True, **{BACKBONE!r}),'
                 ' neck=None, head=dict(_delete_=True, '
                 "type='MultiPrototypeHead', num_classes=3, in_channels=16, "
                 'embed_dims=16, num_prototypes=2, max_prototypes=3, '
                 "attention=dict(type='MixedAttentionBlock', num_heads=2)))")
    else:
        model = (f'model = dict(backbone=dict(_delete_=True, **{BACKBONE!r}),'
                 ' head=dict(in_channels=16))')
    cfg = tmp_path / 'gallery_cfg.py'
    cfg.write_text(
        f'_base_ = [{TINY_CLS!r}]\n'
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='LoadImageFromFile'),\n"
        "    dict(type='Resize', scale=(64, 64), keep_ratio=False),\n"
        "    dict(type='RandomFlip', prob=1.0, direction='horizontal'),\n"
        "    dict(type='PackInputs')]))\n" + model + '\n')
    torch.manual_seed(0)
    net = build_model_from_config(str(cfg))
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=net.state_dict()), ckpt)
    return str(cfg), str(ckpt)


def test_gallery_dataset_uses_the_test_pipeline(tmp_path):
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(
            type='RepeatDataset', times=3, dataset=dict(
                type='ImageFolderLT', pipeline=[dict(type='RandomFlip')]))),
        test_dataloader=dict(dataset=dict(
            type='ImageFolderLT', pipeline=[dict(type='PackInputs')]))))
    ds = gallery_dataset_cfg(cfg, 'train')
    assert ds['type'] == 'ImageFolderLT'  # repeat wrapper removed
    assert ds['pipeline'] == [dict(type='PackInputs')]
    with pytest.raises(ValueError, match='no val_dataloader'):
        gallery_dataset_cfg(cfg, 'val')


def test_tool_writes_png_and_json(tmp_path):
    cfg, ckpt = write_config(tmp_path)
    out = tmp_path / 'vis' / 'gallery.png'
    gallery = load_tool().main([cfg, ckpt, '--out', str(out), '--topk', '3',
                                '--batch-size', '4', '--device', 'cpu'])
    assert out.read_bytes()[:8] == PNG_MAGIC
    info = json.loads((tmp_path / 'vis' / 'gallery.json').read_text())
    assert info['split'] == 'train' and info['spatial'] and info['topk'] == 3
    assert [c['name'] for c in info['classes']] == [
        'basophil', 'eosinophil', 'lymphocyte']
    n = info['num_samples']
    assert n == gallery.num_samples > 3
    # the indices are those of the training set (read with the test pipeline)
    train = DATASETS.build(gallery_dataset_cfg(Config.fromfile(cfg)))
    assert len(train) == n
    assert 'RandomFlip' not in repr(train.pipeline)
    for cls in info['classes']:
        assert [p['slot'] for p in cls['prototypes']] == [0, 1]
        for proto in cls['prototypes']:
            sims = [m['similarity'] for m in proto['matches']]
            assert len(sims) == 3 and sims == sorted(sims, reverse=True)
            for m in proto['matches']:
                assert osp.isfile(m['img_path']) and 0 <= m['index'] < n
                assert train.get_data_info(m['index'])['img_path'] == \
                    m['img_path']
                x1, y1, x2, y2 = m['box']
                assert 0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64


def test_tool_one_line_errors(tmp_path, capsys):
    tool = load_tool()
    cfg, ckpt = write_config(tmp_path, proto_head=False)
    with pytest.raises(SystemExit):
        tool.main([cfg, str(tmp_path / 'missing.pth'), '--out',
                   str(tmp_path / 'g.png')])
    err = capsys.readouterr().err
    assert 'checkpoint file not found' in err and 'Traceback' not in err
    with pytest.raises(SystemExit):
        tool.main([cfg, ckpt, '--out', str(tmp_path / 'g.png'), '--device',
                   'cpu'])
    err = capsys.readouterr().err.strip()
    assert err == ("error: the model's head is a LinearClsHead; the prototype"
                   ' gallery needs a MultiPrototypeHead (model.head.type='
                   "'MultiPrototypeHead').")
    assert not (tmp_path / 'g.png').exists()


def test_stratified_indices_cover_every_class():
    from medproto.visualization.prototype_gallery import stratified_indices
    labels = [0] * 10 + [1] * 5 + [2] * 3  # a class-sorted folder
    chosen = stratified_indices(labels, 6)
    assert len(chosen) == 6 and chosen == sorted(set(chosen))
    assert sorted({labels[i] for i in chosen}) == [0, 1, 2]
    assert [labels[i] for i in chosen].count(2) == 2
    # more than there are: all of them
    assert stratified_indices(labels, 50) == list(range(18))
    # the old behaviour (first N in order) would have seen class 0 only
    assert {labels[i] for i in range(6)} == {0}
