# Copyright (c) medproto contributors. All rights reserved.
import numpy as np
import pytest
import torch

from medproto.distill.losses import CRDLoss


def _embed(x: np.ndarray, linear: torch.nn.Linear) -> np.ndarray:
    y = x @ linear.weight.detach().double().numpy().T + \
        linear.bias.detach().double().numpy()
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def _nce_direction(anchor, memory, idx, tau, num_data):
    """Returns (loss, Z) with Z fixed from these scores, explicit loops."""
    scores = np.array([[np.exp(anchor[b] @ memory[k] / tau) for k in row]
                       for b, row in enumerate(idx)])
    z = scores.mean() * num_data
    scores = scores / z
    noise = (idx.shape[1] - 1) / num_data
    total = 0.0
    for row in scores:
        total += np.log(row[0] / (row[0] + noise + 1e-7))
        for h in row[1:]:
            total += np.log(noise / (h + noise + 1e-7))
    return -total / len(idx), z


def _make(num_data=10, negatives=4):
    torch.manual_seed(0)
    crd = CRDLoss(s_dim=6, t_dim=5, num_data=num_data, feat_dim=3,
                  num_negatives=negatives, nce_t=0.5, momentum=0.5,
                  loss_weight=0.8).double()
    return crd


def test_matches_formula_and_updates_memory(assert_student_only_gradients):
    crd = _make()
    f_s = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
    f_t = torch.randn(3, 5, 1, 1, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor([1, 4, 7])
    contrast = torch.tensor([[0, 2, 3, 9], [5, 6, 8, 0], [1, 2, 3, 4]])
    mem_s = crd.memory_S.clone().numpy()
    mem_t = crd.memory_T.clone().numpy()
    v_s = _embed(f_s.detach().numpy(), crd.embed_S.linear)
    v_t = _embed(f_t.detach().numpy().reshape(3, 5), crd.embed_T.linear)
    full = np.concatenate([idx.numpy()[:, None], contrast.numpy()], axis=1)
    loss_s, z_s = _nce_direction(v_s, mem_t, full, 0.5, 10)
    loss_t, z_t = _nce_direction(v_t, mem_s, full, 0.5, 10)

    loss = crd(f_s, f_t, sample_idx=idx, contrast_idx=contrast)
    assert loss.item() == pytest.approx(0.8 * (loss_s + loss_t), rel=1e-8)
    assert crd.z_S.item() == pytest.approx(z_s, rel=1e-8)
    assert crd.z_T.item() == pytest.approx(z_t, rel=1e-8)
    for memory, before, v in ((crd.memory_S, mem_s, v_s),
                              (crd.memory_T, mem_t, v_t)):
        rows = 0.5 * before[idx.numpy()] + 0.5 * v
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        np.testing.assert_allclose(memory[idx].numpy(), rows, rtol=1e-8)
        others = [i for i in range(10) if i not in idx.tolist()]
        np.testing.assert_array_equal(memory[others].numpy(), before[others])
    assert_student_only_gradients(loss, [f_s], [f_t])
    for head in (crd.embed_S, crd.embed_T):
        assert head.linear.weight.grad.abs().sum() > 0


def test_normalisation_constant_is_kept_and_checkpointed():
    crd = _make()
    crd(torch.randn(2, 6).double(), torch.randn(2, 5).double(),
        torch.tensor([0, 1]))
    z = crd.z_S.item()
    crd(torch.randn(2, 6).double(), torch.randn(2, 5).double(),
        torch.tensor([2, 3]))
    assert crd.z_S.item() == z > 0
    state = crd.state_dict()
    assert {'memory_S', 'memory_T', 'z_S', 'z_T'} <= set(state)
    resumed = _make()
    resumed.load_state_dict(state)
    assert resumed.z_S.item() == z
    assert torch.equal(resumed.memory_T, crd.memory_T)


def test_eval_mode_leaves_memory_alone():
    crd = _make().eval()
    before = crd.memory_S.clone()
    crd(torch.randn(2, 6).double(), torch.randn(2, 5).double(),
        torch.tensor([0, 1]))
    assert torch.equal(crd.memory_S, before)


def test_sampled_negatives_exclude_the_positive():
    crd = _make(num_data=3, negatives=200)
    idx = torch.tensor([0, 1, 2])
    neg = crd.sample_negatives(idx)
    assert neg.shape == (3, 200)
    assert not (neg == idx[:, None]).any()
    assert neg.min() >= 0 and neg.max() <= 2
    # Both other indices are drawn.
    assert all(len(set(row.tolist())) == 2 for row in neg)


def test_errors():
    crd = _make()
    with pytest.raises(ValueError, match='CRD needs sample indices'):
        crd(torch.randn(2, 6).double(), torch.randn(2, 5).double())
    with pytest.raises(ValueError, match=r'\[0, 10\)'):
        crd(torch.randn(2, 6).double(), torch.randn(2, 5).double(),
            torch.tensor([0, 10]))
    with pytest.raises(ValueError, match='contrast_idx'):
        crd(torch.randn(2, 6).double(), torch.randn(2, 5).double(),
            torch.tensor([0, 1]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='num_data'):
        CRDLoss(s_dim=4, t_dim=4, num_data=1)
    with pytest.raises(ValueError, match='momentum'):
        CRDLoss(s_dim=4, t_dim=4, num_data=8, momentum=1.5)
