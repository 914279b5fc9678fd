# Copyright (c) medproto contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample
from torch import nn

import medproto  # noqa: F401
from medproto.visualization.prototype_gallery import gallery_dataset_cfg
from medproto.visualization.prototype_usage import (prototype_usage,
                                                    usage_from_similarities)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_CLS = osp.join(REPO, 'tests', 'data', 'configs', 'cls_tiny.py')
BACKBONE = dict(type='ResNet', depth=18, num_stages=2, strides=(1, 2),
                dilations=(1, 1), out_indices=(1, ), stem_channels=8,
                base_channels=8)

# Orthogonal zero-mean directions of R^4: the head's LayerNorm only rescales
# a zero-mean vector, so with an identity projection the cosine similarities
# are those of these vectors.
E1 = torch.tensor([1., -1., 0., 0.])
E2 = torch.tensor([0., 0., 1., -1.])
E3 = torch.tensor([1., 1., -1., -1.])


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


class FeaturePreprocessor(nn.Module):
    """Stacks (C, ) feature vectors given as inputs."""

    def forward(self, batch, training=False):
        return dict(inputs=torch.stack(batch['inputs']),
                    data_samples=batch['data_samples'])


class FeatureClassifier(nn.Module):
    """A classifier whose 'images' are the head's pooled features."""

    def __init__(self, head):
        super().__init__()
        self.data_preprocessor = FeaturePreprocessor()
        self.head = head

    def extract_feat(self, inputs):
        return (inputs, )


def constructed_model():
    """Three classes, three slots each; the prototypes point along known
    directions and the projection is the identity.

    class 0: slots 0 = E1, 1 = E2, 2 = E1 tilted towards E2 but *inactive*
    class 1: slots 0 = E3, 1 = -E1 (active)
    class 2: slot 0 = -E3
    """
    head = MODELS.build(dict(
        type='MultiPrototypeHead', num_classes=3, in_channels=4,
        embed_dims=4, num_prototypes=1, max_prototypes=3, attention=None,
        proto_loss=None, dropout=0.))
    with torch.no_grad():
        head.proj[0].weight.copy_(torch.eye(4))
        head.proj[0].bias.zero_()
        protos = torch.zeros(3, 3, 4)
        protos[0, 0], protos[0, 1] = E1, E2
        protos[0, 2] = E1 + 0.1 * E2
        protos[1, 0], protos[1, 1] = E3, -E1
        protos[2, 0] = -E3
        protos[2, 1:] = E2  # inactive
        head.prototype_manager.prototypes.copy_(F.normalize(protos, dim=-1))
        active = head.prototype_manager.active
        active.zero_()
        active[0, :2] = True
        active[1, :2] = True
        active[2, 0] = True
    return FeatureClassifier(head)


def feature_data():
    """(feature, label) pairs: class 0 has three images near E1 (nearest to
    the inactive slot 2, which must not count) and one near E2; class 1 two
    images near E3; class 2 one image at E1 (misclassified as class 0)."""
    items = [(E1 + 0.1 * E2, 0), (E1 + 0.12 * E2, 0), (E1 + 0.08 * E2, 0),
             (E2 + 0.1 * E1, 0), (E3 + 0.1 * E1, 1), (E3 + 0.2 * E2, 1),
             (E1, 2)]
    data = []
    for x, y in items:
        sample = DataSample()
        sample.set_gt_label(y)
        data.append(dict(inputs=x, data_samples=sample))
    return data


def test_usage_counts_known_by_construction():
    model = constructed_model()
    data = feature_data()
    usage = prototype_usage(model, data, batch_size=3,
                            class_names=['a', 'b', 'c'],
                            train_counts=[100, 10, 1])
    assert usage.num_samples == len(data)
    c0, c1, c2 = usage.classes
    assert [c.name for c in usage.classes] == ['a', 'b', 'c']
    assert [c.train_count for c in usage.classes] == [100, 10, 1]
    assert [c.num_images for c in usage.classes] == [4, 2, 1]
    assert [c.num_active for c in usage.classes] == [2, 2, 1]
    # the inactive slot 2 of class 0 is the nearest to three images, but
    # only active slots can win
    assert c0.wins == {0: 3, 1: 1} and c0.num_used == 2
    assert c0.top_share == 3 / 4
    assert c1.wins == {0: 2, 1: 0} and c1.num_used == 1
    assert c1.top_share == 1.0
    assert c2.wins == {0: 1} and c2.num_used == 1
    assert [c.recall for c in usage.classes] == [1.0, 1.0, 0.0]

    # similarities, computed here without the head
    feats = torch.stack([d['inputs'] for d in data])
    protos = model.head.prototype_manager.prototypes.detach()
    cos = torch.einsum('nd,kmd->nkm', F.normalize(feats, dim=-1),
                       F.normalize(protos, dim=-1))
    own = torch.stack([cos[0, 0, 0], cos[1, 0, 0], cos[2, 0, 0],
                       cos[3, 0, 1]])
    other = torch.stack([torch.cat([cos[i, 1, :2], cos[i, 2, :1]]).max()
                         for i in range(4)])  # classes 1 and 2
    assert c0.own_similarity == pytest.approx(float(own.mean()), abs=1e-5)
    assert c0.other_similarity == pytest.approx(float(other.mean()),
                                                abs=1e-5)
    assert c0.margin == pytest.approx(float((own - other).mean()), abs=1e-5)
    # class 2's image is E1 itself: its best other prototype is class 0's
    # slot 0 (cosine 1), its own prototype -E3 is orthogonal
    assert c2.other_similarity == pytest.approx(1.0, abs=1e-5)
    assert c2.own_similarity == pytest.approx(0.0, abs=1e-5)
    assert c2.margin < 0 < c0.margin


def test_usage_from_similarities_and_empty_classes():
    # 2 images of class 0, none of class 1; slot 1 of class 0 inactive
    sims = torch.tensor([[[0.9, 0.99], [0.5, 0.1]],
                         [[0.8, 0.99], [0.7, 0.2]]])
    active = torch.tensor([[True, False], [True, True]])
    usage = usage_from_similarities(sims, torch.tensor([0, 0]), active,
                                    preds=torch.tensor([0, 1]))
    c0, c1 = usage.classes
    assert c0.wins == {0: 2} and c0.num_used == 1 and c0.top_share == 1.0
    assert c0.own_similarity == pytest.approx(0.85)
    assert c0.other_similarity == pytest.approx(0.6)
    assert c0.margin == pytest.approx(0.25)
    assert c0.recall == 0.5
    assert c1.num_images == 0 and c1.num_used == 0
    assert c1.wins == {0: 0, 1: 0}
    assert c1.recall is None and c1.top_share is None
    assert c1.own_similarity is None and c1.margin is None
    assert [c.name for c in usage.classes] == ['0', '1']
    table = usage.format_table().splitlines()
    assert table[0].split()[:4] == ['class', 'images', 'active', 'used']
    assert len(table) == 2 + 2 and table[3].split()[-1] == '-'
    assert json.loads(json.dumps(usage.to_dict()))['classes'][0]['wins'] == {
        '0': 2}
    with pytest.raises(ValueError, match=r'active must be \(2, 2\)'):
        usage_from_similarities(sims, torch.tensor([0, 0]), active[:1],
                                torch.tensor([0, 0]))
    with pytest.raises(ValueError, match=r'labels must be in \[0, 2\)'):
        usage_from_similarities(sims, torch.tensor([0, 2]), active,
                                torch.tensor([0, 0]))
    with pytest.raises(ValueError, match='train_counts needs 2 entries'):
        usage_from_similarities(sims, torch.tensor([0, 0]), active,
                                torch.tensor([0, 0]), train_counts=[1])


def test_usage_of_an_attention_head_matches_its_predictions():
    """With attention the similarities are per image; the recall is that
    of the classifier's own predictions and every image is won once."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', data_preprocessor=dict(num_classes=3),
        backbone=BACKBONE, neck=None, head=dict(
            type='MultiPrototypeHead', num_classes=3, in_channels=16,
            embed_dims=16, num_prototypes=2, max_prototypes=3,
            attention=dict(type='MixedAttentionBlock', num_heads=2))))
    model.head.prototype_manager.active[0, 2] = True
    gen = torch.Generator().manual_seed(0)
    data = []
    for i in range(9):
        sample = DataSample(metainfo=dict(img_shape=(32, 32)))
        sample.set_gt_label(i % 3)
        data.append(dict(inputs=torch.randint(0, 256, (3, 32, 32),
                                              generator=gen,
                                              dtype=torch.uint8),
                         data_samples=sample))
    model.train()
    usage = prototype_usage(model, data, batch_size=4)
    assert model.training  # mode restored
    model.eval()
    with torch.no_grad():
        out = model.data_preprocessor(
            dict(inputs=[d['inputs'] for d in data],
                 data_samples=[d['data_samples'] for d in data]), False)
        preds = model(out['inputs'], out['data_samples'], mode='predict')
    for c in usage.classes:
        mine = [p for p, d in zip(preds, data) if int(d['data_samples']
                                                       .gt_label) == c.index]
        hits = sum(int(p.pred_label) == c.index for p in mine)
        assert c.recall == pytest.approx(hits / len(mine))
        assert sum(c.wins.values()) == c.num_images == 3
        assert 1 <= c.num_used <= c.num_active
    assert [c.num_active for c in usage.classes] == [3, 2, 2]


def test_a_head_without_prototypes_is_one_clear_error():
    linear = FeatureClassifier(MODELS.build(dict(
        type='LinearClsHead', num_classes=3, in_channels=4)))
    with pytest.raises(ValueError, match='needs a classifier with a '
                       'MultiPrototypeHead .* has a LinearClsHead head'):
        prototype_usage(linear, feature_data())
    with pytest.raises(ValueError, match='max_samples must be None or'):
        prototype_usage(constructed_model(), feature_data(), max_samples=0)


# ---------------------------------------------------------------- the tool


def load_tool():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'prototype_usage.py')
    spec = importlib.util.spec_from_file_location('prototype_usage_tool',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(tmp_path, proto_head=True):
    """cls_tiny.py (the shipped blood-cell sample) with the small ResNet and
    a MultiPrototypeHead (or its LinearClsHead); saves a checkpoint."""
    from medproto.utils.model_loading import build_model_from_config
    if proto_head:
        model = (f'model = dict(backbone=dict(_delete_=True, **{BACKBONE!r}),'
                 ' neck=None, head=dict(_delete_=True, '
                 "type='MultiPrototypeHead', num_classes=3, in_channels=16, "
                 'embed_dims=16, num_prototypes=2, max_prototypes=3, '
                 'class_counts=[6, 4, 3], '
                 "attention=dict(type='MixedAttentionBlock', num_heads=2)))")
    else:
        model = (f'model = dict(backbone=dict(_delete_=True, **{BACKBONE!r}),'
                 ' head=dict(in_channels=16))')
    cfg = tmp_path / 'usage_cfg.py'
    cfg.write_text(f'_base_ = [{TINY_CLS!r}]\n' + model + '\n')
    torch.manual_seed(0)
    net = build_model_from_config(str(cfg))
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=net.state_dict()), ckpt)
    return str(cfg), str(ckpt)


def test_tool_prints_the_table_and_writes_json(tmp_path, capsys):
    from mmengine.config import Config
    cfg, ckpt = write_config(tmp_path)
    out = tmp_path / 'res' / 'usage.json'
    usage = load_tool().main([cfg, ckpt, '--split', 'val', '--out', str(out),
                              '--batch-size', '8', '--device', 'cpu'])
    printed = capsys.readouterr().out
    val = DATASETS.build(gallery_dataset_cfg(Config.fromfile(cfg), 'val'))
    assert usage.num_samples == len(val) > 3
    info = json.loads(out.read_text())
    assert info['split'] == 'val' and info['checkpoint'] == ckpt
    names = ['basophil', 'eosinophil', 'lymphocyte']
    assert [c['name'] for c in info['classes']] == names
    assert [c['train_count'] for c in info['classes']] == [6, 4, 3]
    labels = [int(x) for x in val.get_gt_labels()]
    for c in info['classes']:
        assert c['num_images'] == labels.count(c['index'])
        assert sum(c['wins'].values()) == c['num_images']
        assert c['num_active'] == 2 and 1 <= c['num_used'] <= 2
    lines = printed.splitlines()
    assert lines[1].split()[:3] == ['class', 'train', 'images']
    assert [line.split()[0] for line in lines[3:6]] == names


def test_tool_one_line_error_for_another_head(tmp_path, capsys):
    cfg, ckpt = write_config(tmp_path, proto_head=False)
    with pytest.raises(SystemExit):
        load_tool().main([cfg, ckpt, '--device', 'cpu'])
    err = capsys.readouterr().err.strip()
    assert err == ('error: prototype usage needs a classifier with a '
                   "MultiPrototypeHead (model.head.type='MultiPrototypeHead')"
                   ', but the model has a LinearClsHead head.')
