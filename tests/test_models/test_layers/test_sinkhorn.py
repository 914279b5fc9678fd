# Copyright (c) medproto contributors. All rights reserved.
import math

import pytest
import torch

from medproto.models.layers import sinkhorn_knopp


def loop_sinkhorn(scores, epsilon, num_iters):
    """SwAV's Algorithm 1 written with Python loops in float64: Q = exp(S /
    eps)^T (P x N), normalised to sum 1, then per round the prototype rows
    to 1 / P and the sample columns to 1 / N; returns N * Q^T (N x P)."""
    n, p = len(scores), len(scores[0])
    q = [[math.exp(float(scores[i][j]) / epsilon) for i in range(n)]
         for j in range(p)]
    total = sum(sum(row) for row in q)
    q = [[v / total for v in row] for row in q]
    for _ in range(num_iters):
        for j in range(p):
            s = sum(q[j])
            q[j] = [v / s / p for v in q[j]]
        for i in range(n):
            s = sum(q[j][i] for j in range(p))
            for j in range(p):
                q[j][i] = q[j][i] / s / n
    return torch.tensor([[n * q[j][i] for j in range(p)] for i in range(n)],
                        dtype=torch.float64)


@pytest.mark.parametrize('n,p,eps,iters', [(16, 4, 0.05, 3), (7, 3, 0.1, 1),
                                           (5, 5, 0.05, 10)])
def test_matches_a_loop_implementation(n, p, eps, iters):
    torch.manual_seed(n * p)
    scores = torch.rand(n, p) * 2 - 1  # cosines
    plan = sinkhorn_knopp(scores, epsilon=eps, num_iters=iters)
    ref = loop_sinkhorn(scores.tolist(), eps, iters)
    assert plan.shape == (n, p) and plan.dtype == torch.float32
    torch.testing.assert_close(plan.double(), ref, rtol=1e-4, atol=1e-6)
    assert torch.equal(plan.argmax(dim=1), ref.argmax(dim=1))
    torch.testing.assert_close(plan.sum(dim=1), torch.ones(n))


def test_marginals_become_uniform_where_the_nearest_is_not():
    torch.manual_seed(0)
    n, p = 24, 4
    # every sample is nearest to prototype 0
    scores = torch.rand(n, p) * 0.3
    scores[:, 0] += 0.5
    assert scores.argmax(dim=1).eq(0).all()
    plan = sinkhorn_knopp(scores, epsilon=0.05, num_iters=100)
    torch.testing.assert_close(plan.sum(dim=0), torch.full((p, ), n / p),
                               rtol=1e-3, atol=1e-3)
    counts = plan.argmax(dim=1).bincount(minlength=p)
    assert (counts > 0).all()
    # three rounds are close already
    plan3 = sinkhorn_knopp(scores, epsilon=0.05, num_iters=3)
    assert (plan3.sum(dim=0) - n / p).abs().max() < 0.1 * n / p


def test_masked_prototypes_get_nothing():
    torch.manual_seed(1)
    scores = torch.rand(10, 5) * 2 - 1
    scores[:, 1] = scores[:, 3] = 1.  # the masked ones would win
    mask = torch.tensor([True, False, True, False, True])
    plan = sinkhorn_knopp(scores, mask, epsilon=0.05, num_iters=3)
    assert plan[:, ~mask].eq(0).all()
    assert mask[plan.argmax(dim=1)].all()
    ref = loop_sinkhorn(scores[:, mask].tolist(), 0.05, 3)
    torch.testing.assert_close(plan[:, mask].double(), ref, rtol=1e-4,
                               atol=1e-6)
    torch.testing.assert_close(plan.sum(dim=0)[mask].sum(), torch.tensor(10.))


def test_fewer_samples_than_prototypes_and_edge_cases():
    torch.manual_seed(2)
    scores = torch.rand(2, 6) * 2 - 1
    plan = sinkhorn_knopp(scores, epsilon=0.05, num_iters=50)
    assert torch.isfinite(plan).all()
    torch.testing.assert_close(plan.sum(dim=1), torch.ones(2))
    torch.testing.assert_close(plan.sum(dim=0), torch.full((6, ), 2 / 6),
                               rtol=1e-3, atol=1e-4)
    # one sample: every prototype gets the same share
    one = sinkhorn_knopp(scores[:1], epsilon=0.05, num_iters=3)
    torch.testing.assert_close(one, torch.full((1, 6), 1 / 6))
    # no sample
    assert sinkhorn_knopp(scores[:0]).shape == (0, 6)
    # a small epsilon would overflow exp() in float32; the log domain not
    tiny = sinkhorn_knopp(scores.repeat(4, 1), epsilon=1e-3, num_iters=3)
    assert torch.isfinite(tiny).all()
    assert not torch.isfinite(torch.exp(scores.float() / 1e-3)).all()


def test_argument_validation():
    scores = torch.rand(4, 3)
    with pytest.raises(ValueError, match=r'scores must be \(N, P\)'):
        sinkhorn_knopp(scores[0])
    with pytest.raises(ValueError, match='mask must be a bool'):
        sinkhorn_knopp(scores, torch.zeros(3, dtype=torch.bool))
    with pytest.raises(ValueError, match='mask must be a bool'):
        sinkhorn_knopp(scores, torch.ones(4, dtype=torch.bool))
    with pytest.raises(ValueError, match='epsilon must be > 0'):
        sinkhorn_knopp(scores, epsilon=0.)
    with pytest.raises(ValueError, match='num_iters must be a positive int'):
        sinkhorn_knopp(scores, num_iters=0)
