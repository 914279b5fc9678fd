# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

import medproto  # noqa: F401
from medproto.models.heads import DynamicPrototypeManager
from medproto.models.layers import sinkhorn_knopp


def test_initial_state_in_buffers():
    m = DynamicPrototypeManager(3, 8, num_prototypes=2, max_prototypes=4)
    assert m.num_active.tolist() == [2, 2, 2]
    assert m.active[:, :2].all() and not m.active[:, 2:].any()
    state = m.state_dict()
    for key in ('prototypes', 'active', 'running_var', 'num_updates'):
        assert key in state
    assert torch.allclose(m.prototypes.norm(dim=-1), torch.ones(3, 4))


def test_ema_moves_the_nearest_active_prototype_of_the_true_class():
    m = DynamicPrototypeManager(2, 3, num_prototypes=2, max_prototypes=3,
                                momentum=0.5, warmup_updates=100)
    protos = torch.tensor([[[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]],
                           [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]]])
    with torch.no_grad():
        m.prototypes.copy_(protos)
    # Nearest overall is the *inactive* slot 2 and class 1's slot 0;
    # the update must pick class 0's nearest *active* slot (slot 1).
    z = torch.tensor([[0., 0.6, 0.8]])
    m.update(z, torch.tensor([0]))
    expected = F.normalize(0.5 * protos[0, 1] + 0.5 * z[0], dim=0)
    assert torch.allclose(m.prototypes[0, 1], expected)
    for k, s in [(0, 0), (0, 2), (1, 0), (1, 1), (1, 2)]:
        assert torch.equal(m.prototypes[k, s], protos[k, s])
    # spread EMA: first update takes the batch value 2 - 2 cos
    assert m.running_var[0].item() == pytest.approx(2 - 2 * 0.6)
    assert m.num_updates.tolist() == [1, 0]


def test_expansion_after_warmup_up_to_max():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(2, 16, num_prototypes=1, max_prototypes=3,
                                momentum=0.99, var_threshold=0.2,
                                warmup_updates=2)
    labels = torch.tensor([0] * 8)
    added = []
    for _ in range(8):
        added.append(m.update(torch.randn(8, 16), labels)['num_added'])
    # class 0 grows every 2 updates until max; class 1 (never seen) stays
    assert m.num_active.tolist() == [3, 1]
    assert added[:4] == [0, 1, 0, 1] and sum(added) == 2
    assert torch.allclose(m.prototypes[0, 1:].norm(dim=-1), torch.ones(2))


def test_no_expansion_below_threshold():
    m = DynamicPrototypeManager(1, 4, num_prototypes=1, max_prototypes=2,
                                var_threshold=0.5, warmup_updates=1)
    z = F.normalize(m.prototypes.detach()[0, :1], dim=-1).repeat(4, 1)
    for _ in range(3):
        m.update(z, torch.zeros(4, dtype=torch.long))
    assert m.num_active.tolist() == [1]


def test_state_dict_round_trip_keeps_active_counts():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(2, 8, num_prototypes=1, max_prototypes=4,
                                var_threshold=0.1, warmup_updates=1)
    for _ in range(3):
        m.update(torch.randn(6, 8), torch.tensor([0, 0, 0, 1, 1, 1]))
    assert m.num_active.min() > 1
    fresh = DynamicPrototypeManager(2, 8, num_prototypes=1, max_prototypes=4)
    assert fresh.num_active.tolist() == [1, 1]
    fresh.load_state_dict(m.state_dict())
    assert torch.equal(fresh.active, m.active)
    assert torch.equal(fresh.running_var, m.running_var)
    assert torch.equal(fresh.num_updates, m.num_updates)
    assert torch.equal(fresh.prototypes, m.prototypes)


def test_inplace_update_keeps_the_graph_valid():
    m = DynamicPrototypeManager(2, 4, num_prototypes=2, max_prototypes=2)
    z = torch.randn(3, 4, requires_grad=True)
    sims = torch.einsum('bd,kmd->bkm', z, m.normalized_prototypes())
    m.update(z.detach(), torch.tensor([0, 1, 1]))
    sims.sum().backward()  # would raise if the parameter were saved
    assert m.prototypes.grad is not None


def test_argument_validation():
    with pytest.raises(ValueError, match='max_prototypes'):
        DynamicPrototypeManager(2, 4, num_prototypes=5, max_prototypes=3)
    with pytest.raises(ValueError, match='momentum'):
        DynamicPrototypeManager(2, 4, momentum=1.0)
    with pytest.raises(ValueError, match=r'feats must be \(B, 4\)'):
        DynamicPrototypeManager(2, 4).update(torch.randn(3, 5),
                                             torch.zeros(3).long())


def _set(m, protos, active=None):
    with torch.no_grad():
        m.prototypes.copy_(F.normalize(protos, dim=-1))
        if active is not None:
            m.active.copy_(active)


def test_nearest_assignment_is_the_default_and_the_nearest_active_slot():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(3, 8, num_prototypes=2, max_prototypes=4)
    assert m.assignment == 'nearest'
    z, labels = torch.randn(10, 8), torch.randint(0, 3, (10, ))
    cos = F.normalize(z, dim=-1) @ F.normalize(
        m.prototypes.detach(), dim=-1).view(-1, 8).T  # (B, K * M)
    for b in range(10):
        k = int(labels[b])
        own = cos[b, 4 * k:4 * k + 2]  # the two active slots
        assert int(m.assign(z, labels)[b]) == int(own.argmax())


def test_sinkhorn_assignment_is_the_per_class_plan_argmax():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(2, 8, num_prototypes=3, max_prototypes=4,
                                assignment='sinkhorn', sinkhorn_epsilon=0.1,
                                sinkhorn_iters=5)
    z = torch.randn(20, 8)
    labels = torch.tensor([0, 1] * 10)
    assigned = m.assign(z, labels)
    protos = F.normalize(m.prototypes.detach(), dim=-1)
    for k in (0, 1):
        rows = labels == k
        sims = F.normalize(z[rows], dim=-1) @ protos[k, :3].T
        plan = sinkhorn_knopp(sims, epsilon=0.1, num_iters=5)
        assert torch.equal(assigned[rows], plan.argmax(dim=1))


def test_sinkhorn_spreads_a_class_over_its_prototypes():
    """Every sample is nearest to slot 0: 'nearest' gives it all, the
    balanced assignment gives every active slot a share."""
    torch.manual_seed(0)
    protos = torch.randn(1, 4, 16)
    z = protos[0, 0] + 0.3 * torch.randn(12, 16)
    labels = torch.zeros(12, dtype=torch.long)
    near = DynamicPrototypeManager(1, 16, 4, 4)
    _set(near, protos)
    assert near.assign(z, labels).eq(0).all()
    bal = DynamicPrototypeManager(1, 16, 4, 4, assignment='sinkhorn')
    _set(bal, protos)
    counts = bal.assign(z, labels).bincount(minlength=4)
    assert (counts > 0).all() and counts.max() <= 6


def test_sinkhorn_never_picks_an_inactive_slot():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(2, 8, num_prototypes=2, max_prototypes=4,
                                assignment='sinkhorn')
    active = torch.tensor([[True, False, True, False],
                           [False, True, True, True]])
    protos = torch.randn(2, 4, 8)
    z = torch.randn(30, 8)
    protos[:, ~active[0]] = z.mean(0)  # the inactive slots are nearest
    _set(m, protos, active)
    for seed in range(5):
        torch.manual_seed(seed)
        labels = torch.randint(0, 2, (30, ))
        z = torch.randn(30, 8)
        assigned = m.assign(z, labels)
        assert active[labels, assigned].all()


def test_sinkhorn_with_fewer_samples_than_prototypes():
    torch.manual_seed(0)
    m = DynamicPrototypeManager(3, 8, num_prototypes=4, max_prototypes=5,
                                assignment='sinkhorn')
    # class 0: one sample (uniform plan) -> its nearest active slot;
    # class 1: two samples for four prototypes; class 2: absent
    z, labels = torch.randn(3, 8), torch.tensor([0, 1, 1])
    assigned = m.assign(z, labels)
    cos = F.normalize(z[0], dim=0) @ F.normalize(
        m.prototypes.detach()[0, :4], dim=-1).T
    assert int(assigned[0]) == int(cos.argmax())
    assert (assigned[1:] < 4).all()
    m.update(z, labels)
    assert m.num_updates.tolist() == [1, 1, 0]
    assert torch.isfinite(m.prototypes).all()


def test_update_takes_the_given_assignment():
    torch.manual_seed(0)
    a = DynamicPrototypeManager(2, 8, 3, 3, momentum=0.5,
                                assignment='sinkhorn')
    b = DynamicPrototypeManager(2, 8, 3, 3, momentum=0.5,
                                assignment='sinkhorn')
    b.load_state_dict(a.state_dict())
    z, labels = torch.randn(12, 8), torch.tensor([0, 1] * 6)
    a.update(z, labels)
    b.update(z, labels, assigned=b.assign(z, labels))
    assert torch.equal(a.prototypes, b.prototypes)
    assert torch.equal(a.running_var, b.running_var)
    # a slot given by hand moves that prototype only
    c = DynamicPrototypeManager(1, 8, 3, 3, momentum=0.5)
    before = c.prototypes.detach().clone()
    c.update(torch.randn(2, 8), torch.zeros(2).long(),
             assigned=torch.tensor([2, 2]))
    changed = (c.prototypes.detach() - before).norm(dim=-1)[0] > 1e-3
    assert changed.tolist() == [False, False, True]


def test_sinkhorn_revives_the_prototype_nearest_never_picks():
    """Two clusters of one class; prototype 0 starts between them (nearest
    to all), prototype 1 far away. 'nearest' keeps one prototype for both
    clusters and prototype 1 dead; 'sinkhorn' gives each cluster its own
    prototype after some EMA updates."""
    d = 16
    e = torch.eye(d)
    centres = torch.stack([e[0], e[1]])
    init = torch.stack([e[0] + e[1] + 0.1 * e[2], -0.5 * e[0] - e[1]])[None]
    labels = torch.zeros(16, dtype=torch.long)

    def train(assignment, init, seed=0):
        torch.manual_seed(seed)
        m = DynamicPrototypeManager(1, d, 2, 2, momentum=0.8,
                                    assignment=assignment)
        if init is not None:
            _set(m, init)
        for _ in range(60):
            z = centres.repeat_interleave(8, 0) + 0.05 * torch.randn(16, d)
            m.update(z, labels)
        z = centres.repeat_interleave(8, 0) + 0.05 * torch.randn(16, d)
        return m, m.assign(z, labels)

    near, assigned = train('nearest', init)
    assert assigned.eq(0).all()
    assert torch.allclose(near.prototypes.detach()[0, 1],
                          F.normalize(init[0, 1], dim=0))  # dead

    # the same init, then random inits
    for seed, start in enumerate((init, None, None, None)):
        bal, assigned = train('sinkhorn', start, seed)
        first, second = assigned[:8], assigned[8:]
        assert first.unique().numel() == 1 and second.unique().numel() == 1
        assert first[0] != second[0]
        protos = F.normalize(bal.prototypes.detach()[0], dim=-1)
        cos = protos[[int(first[0]), int(second[0])]] @ centres.T
        assert cos.diagonal().min() > 0.9


def test_assignment_arguments_are_validated():
    with pytest.raises(ValueError, match='assignment must be one of'):
        DynamicPrototypeManager(2, 4, assignment='greedy')
    with pytest.raises(ValueError, match='sinkhorn_epsilon must be > 0'):
        DynamicPrototypeManager(2, 4, sinkhorn_epsilon=0.)
    with pytest.raises(ValueError, match='sinkhorn_iters must be a positive'):
        DynamicPrototypeManager(2, 4, sinkhorn_iters=0)
    m = DynamicPrototypeManager(2, 4, num_prototypes=1, max_prototypes=2)
    with pytest.raises(ValueError, match='assigned must be'):
        m.update(torch.randn(2, 4), torch.zeros(2).long(),
                 assigned=torch.tensor([0, 1]))  # slot 1 inactive
    with pytest.raises(ValueError, match='assigned must be'):
        m.update(torch.randn(2, 4), torch.zeros(2).long(),
                 assigned=torch.tensor([0]))
