# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import medproto  # noqa: F401
from medproto.models.losses import class_balanced_weights


@pytest.fixture(autouse=True, scope='module')
def mmpretrain_scope():
    """Build under mmpretrain's scope whatever scope earlier tests left."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


COUNTS = [500, 100, 20, 5]


def _head(**kwargs):
    cfg = dict(type='MultiPrototypeHead', num_classes=4, in_channels=32,
               embed_dims=16, num_prototypes=2, max_prototypes=4,
               attention=dict(type='MixedAttentionBlock', num_heads=2))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def _feats(b=6, size=4):
    torch.manual_seed(1)
    return (torch.randn(b, 32, size, size), )


def test_loss_keys_and_gradients():
    head = _head(class_counts=COUNTS, loss=dict(
        type='ClassBalancedCrossEntropyLoss', class_counts=COUNTS))
    head.train()
    # Zero layer scales (the default) make the attention an identity at
    # init; a trained block has non-zero ones, through which every
    # attention weight gets a gradient.
    with torch.no_grad():
        head.attention.gamma1.fill_(0.5)
    losses = head.loss(_feats(), _samples([0, 1, 2, 3, 0, 1]))
    loss_keys = sorted(k for k in losses if 'loss' in k)
    assert loss_keys == ['loss_cls', 'loss_proto']
    for k in ('proto_cluster', 'proto_separation', 'proto_diversity',
              'proto_contrastive', 'log_var_cls', 'log_var_proto'):
        assert k in losses and not losses[k].requires_grad
    sum(losses[k] for k in loss_keys).backward()
    for name in ('proj.0.weight', 'log_logit_scale',
                 'prototype_manager.prototypes',
                 'attention.cross_attn.in_proj_weight',
                 'attention.gate_logits', 'attention.gamma1',
                 'attention.gamma2', 'loss_weighting.log_vars'):
        param = dict(head.named_parameters())[name]
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_uncertainty_weighting_combines_ce_and_proto():
    head = _head()
    plain = _head(loss_weighting=None)
    plain.load_state_dict(head.state_dict(), strict=False)
    head.eval()
    plain.eval()  # no prototype update, same numbers
    with torch.no_grad():
        head.loss_weighting.log_vars.copy_(torch.tensor([1., -1.]))
    feats, samples = _feats(), _samples([0, 1, 2, 3, 0, 1])
    weighted, raw = head.loss(feats, samples), plain.loss(feats, samples)
    for key, s in (('loss_cls', 1.), ('loss_proto', -1.)):
        expected = 0.5 * (torch.exp(torch.tensor(-s)) * raw[key] + s)
        assert torch.allclose(weighted[key], expected)


def test_logits_are_scaled_max_cosine_over_active_prototypes():
    head = _head(attention=None, init_logit_scale=10.)
    head.eval()
    feats = _feats()
    z = F.normalize(head.pre_logits(feats), dim=-1)
    protos = F.normalize(head.prototype_manager.prototypes, dim=-1)
    cos = torch.einsum('bd,kmd->bkm', z, protos)[..., :2]  # active slots
    assert torch.allclose(head(feats), 10. * cos.amax(-1), atol=1e-5)
    # an inactive slot equal to a sample's embedding changes nothing
    with torch.no_grad():
        head.prototype_manager.prototypes[3, 3] = z[0]
    assert torch.allclose(head(feats), 10. * cos.amax(-1), atol=1e-5)


def test_softmax_pooling_lies_between_mean_and_max():
    head = _head(attention=None, pooling='softmax', pooling_temperature=1.)
    head.eval()
    feats = _feats()
    _, sims, _ = head.similarities(feats)
    scores = head(feats) / head.logit_scale
    active = sims[..., :2]
    assert (scores <= active.amax(-1) + 1e-6).all()
    assert (scores >= active.mean(-1) - 1e-6).all()


def test_predict():
    head = _head()
    head.eval()
    preds = head.predict(_feats(b=3))
    assert len(preds) == 3
    for p in preds:
        assert p.pred_score.shape == (4, )
        assert p.pred_score.sum().item() == pytest.approx(1.)
        assert p.pred_label.item() == p.pred_score.argmax().item()


def test_class_weights_come_from_training_counts_not_the_batch():
    head = _head(class_counts=COUNTS, cb_beta=0.9999)
    assert torch.allclose(head.class_weights,
                          class_balanced_weights(COUNTS, 0.9999))
    assert 'class_weights' not in head.state_dict()
    assert torch.equal(_head().class_weights, torch.ones(4))
    # the cluster term uses the training-set weights, whatever the batch
    head.eval()
    labels = torch.tensor([0, 0, 0, 3])
    feats, samples = _feats(b=4), _samples(labels)
    _, sims, protos = head.similarities(feats)
    active = head.prototype_manager.active
    terms = head.proto_loss(sims, labels, active, protos, head.class_weights)
    unweighted = head.proto_loss(sims, labels, active, protos)
    assert not torch.allclose(terms['cluster'], unweighted['cluster'])
    losses = head.loss(feats, samples)
    assert torch.allclose(losses['proto_cluster'], terms['cluster'])


def test_training_updates_and_expands_prototypes_then_round_trips():
    head = _head(prototype_manager=dict(var_threshold=0.05,
                                        warmup_updates=1, momentum=0.5))
    head.train()
    before = head.prototype_manager.prototypes.detach().clone()
    for _ in range(3):
        losses = head.loss(_feats(), _samples([0, 1, 2, 3, 0, 1]))
        losses['loss_cls'].backward()  # valid after the in-place update
    assert not torch.equal(before, head.prototype_manager.prototypes)
    counts = head.prototype_manager.num_active
    assert counts.min() > 2 and losses['num_prototypes'] == counts.sum()
    fresh = _head()
    fresh.load_state_dict(head.state_dict())
    assert torch.equal(fresh.prototype_manager.num_active, counts)
    head.eval()
    fresh.eval()
    assert torch.allclose(head(_feats()), fresh(_feats()))


def test_eval_mode_does_not_update():
    head = _head()
    head.eval()
    before = head.prototype_manager.prototypes.detach().clone()
    head.loss(_feats(), _samples([0, 1, 2, 3, 0, 1]))
    assert torch.equal(before, head.prototype_manager.prototypes)


def test_inputs_and_arguments_are_validated():
    head = _head()
    with pytest.raises(ValueError, match='no neck'):
        head((torch.randn(2, 32), ))
    assert _head(attention=None)((torch.randn(2, 32), )).shape == (2, 4)
    with pytest.raises(ValueError, match=r'\(B, 32, H, W\)'):
        head((torch.randn(2, 8, 4, 4), ))
    mixed = [DataSample().set_gt_score(torch.ones(4) / 4)] * 2
    with pytest.raises(ValueError, match='hard labels'):
        head.loss(_feats(b=2), mixed)
    with pytest.raises(ValueError, match='pooling'):
        _head(pooling='mean')
    with pytest.raises(ValueError, match='class_counts needs 4'):
        _head(class_counts=[10, 5])


def test_in_an_image_classifier_with_the_dual_backbone():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='DualConvNeXtSwin', arch='nano',
                      fusion=dict(type='MHFBlockV2', enhancement='lite')),
        head=dict(type='MultiPrototypeHead', num_classes=4, in_channels=256,
                  embed_dims=32, num_prototypes=2, max_prototypes=3)))
    x = torch.randn(2, 3, 64, 64)
    losses = model(x, _samples([0, 3]), mode='loss')
    assert {'loss_cls', 'loss_proto'} <= set(losses)
    model.eval()
    preds = model(x, mode='predict')
    assert len(preds) == 2 and preds[0].pred_score.shape == (4, )


def test_taps_record_embedding_and_logits_in_loss_mode():
    """``loss`` never calls ``forward``: the identity taps are where a
    recorder (and so a distiller) sees ``z`` and the logits; they add no
    state-dict key and change no output."""
    from medproto.distill.recorders import RecorderManager
    head = _head(class_counts=COUNTS)
    assert isinstance(head.embed_tap, torch.nn.Identity)
    assert isinstance(head.logits_tap, torch.nn.Identity)
    assert not any('_tap' in k for k in head.state_dict())
    manager = RecorderManager(
        dict(logits='logits_tap', embed='embed_tap', proj='proj'))
    manager.attach(head)
    feats, samples = _feats(), _samples([0, 1, 2, 3, 0, 1])
    head.eval()  # dropout off, no prototype update: comparable numbers
    with manager.recording():
        head.loss(feats, samples)
        logits, embed = manager.get('logits'), manager.get('embed')
        # proj also runs on the tokens after z: it is no recording point.
        assert manager.get('proj').shape == (6, 16, 16)
    assert logits.shape == (6, 4) and embed.shape == (6, 16)
    with torch.no_grad():
        assert torch.equal(logits, head(feats))
        assert torch.equal(embed, head.pre_logits(feats))
        sims = head.similarities(feats)[1]
        assert torch.equal(logits, head.logit_scale * sims.masked_fill(
            ~head.prototype_manager.active, -1e4).amax(dim=-1))


@pytest.mark.parametrize('assignment', ['nearest', 'sinkhorn'])
def test_sinkhorn_assignment_gives_gradient_to_several_prototypes(
        assignment):
    """Slot 0 of class 0 is the nearest prototype of all its samples. Only
    the cluster term trains the prototypes here: with 'nearest' it reaches
    slot 0 alone, with 'sinkhorn' every slot that the balanced assignment
    picked (more than one), and the EMA update moves the same slots."""
    head = _head(attention=None, dropout=0., loss_weighting=None,
                 num_prototypes=4,
                 loss=dict(type='CrossEntropyLoss', loss_weight=0.),
                 prototype_manager=dict(assignment=assignment, momentum=0.5),
                 proto_loss=dict(type='BalancedPrototypeLoss',
                                 separation_weight=0., diversity_weight=0.,
                                 contrastive_weight=0.))
    head.train()
    torch.manual_seed(2)
    feats = (torch.randn(8, 32), )
    labels = torch.tensor([0] * 6 + [1, 2])
    z = F.normalize(head.pre_logits(feats).detach(), dim=-1)
    manager = head.prototype_manager
    with torch.no_grad():
        mean = F.normalize(z[:6].mean(0), dim=0)
        manager.prototypes[0] = F.normalize(
            -mean + 0.3 * torch.randn(4, 16), dim=-1)
        manager.prototypes[0, 0] = F.normalize(
            mean + 0.2 * torch.randn(16), dim=0)
    assigned = manager.assign(z, labels)
    before = manager.prototypes.detach().clone()
    losses = head.loss(feats, _samples(labels))
    (losses['loss_cls'] + losses['loss_proto']).backward()
    got_grad = manager.prototypes.grad[0].abs().sum(-1) > 0
    moved = (manager.prototypes.detach()[0] - before[0]).norm(dim=-1) > 1e-4
    picked = torch.zeros(4, dtype=torch.bool)
    picked[assigned[:6]] = True
    assert torch.equal(got_grad, picked) and torch.equal(moved, picked)
    if assignment == 'nearest':
        assert picked.tolist() == [True, False, False, False]
    else:
        assert picked.sum() > 1
