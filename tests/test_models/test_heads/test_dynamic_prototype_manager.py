# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

import medproto  # noqa: F401
from medproto.models.heads import DynamicPrototypeManager


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
