# Copyright (c) medproto contributors. All rights reserved.
import math

import pytest
import torch

from medproto.models.losses import UncertaintyWeighting
from medproto.registry import MODELS


def test_total_matches_formula_and_passes_through():
    uw = MODELS.build(
        dict(type='UncertaintyWeighting', names=['loss_ce', 'loss_kd']))
    with torch.no_grad():
        uw.log_vars.copy_(torch.tensor([0.5, -1.0]))
    ce = torch.tensor(2.0, requires_grad=True)
    kd = torch.tensor(3.0, requires_grad=True)
    extra = torch.tensor(0.25, requires_grad=True)
    total, logs = uw(dict(loss_ce=ce, loss_kd=[kd, kd], acc=torch.tensor(.9),
                          loss_extra=extra))
    w_ce = 0.5 * (math.exp(-0.5) * 2.0 + 0.5)
    w_kd = 0.5 * (math.exp(1.0) * 6.0 - 1.0)
    assert total.item() == pytest.approx(w_ce + w_kd + 0.25, rel=1e-6)
    assert logs['loss_ce'].item() == pytest.approx(w_ce, rel=1e-6)
    assert logs['loss_kd'].item() == pytest.approx(w_kd, rel=1e-6)
    assert logs['loss_extra'] is extra and logs['acc'].item() == \
        pytest.approx(0.9)
    assert logs['log_var_ce'].item() == pytest.approx(0.5)
    assert logs['log_var_kd'].item() == pytest.approx(-1.0)
    # Only the weighted terms would be summed by mmengine's parse_losses.
    assert sum(v for k, v in logs.items() if 'loss' in k).item() == \
        pytest.approx(total.item(), rel=1e-6)
    total.backward()
    # d total / d s_i = 0.5 * (1 - exp(-s_i) L_i)
    assert uw.log_vars.grad.tolist() == pytest.approx(
        [0.5 * (1 - math.exp(-0.5) * 2.0), 0.5 * (1 - math.exp(1.0) * 6.0)],
        rel=1e-6)
    assert ce.grad.item() == pytest.approx(0.5 * math.exp(-0.5), rel=1e-6)


def test_num_terms_binds_first_keys_and_checkpoints():
    uw = UncertaintyWeighting(num_terms=2, init_log_var=1.0)
    uw(dict(loss_a=torch.tensor(1.0), acc=torch.tensor(1.0),
            loss_b=torch.tensor(1.0), loss_c=torch.tensor(1.0)))
    assert uw.names == ['loss_a', 'loss_b']
    restored = UncertaintyWeighting(num_terms=2)
    restored.load_state_dict(uw.state_dict())
    assert restored.names == ['loss_a', 'loss_b']
    assert restored.log_vars.tolist() == [1.0, 1.0]
    # A term switched off (missing) is fine.
    total, _ = restored(dict(loss_b=torch.tensor(2.0)))
    assert total.item() == pytest.approx(0.5 * (math.exp(-1) * 2 + 1))


def test_errors():
    with pytest.raises(ValueError, match='exactly one'):
        UncertaintyWeighting()
    with pytest.raises(ValueError, match="contain 'loss'"):
        UncertaintyWeighting(names=['acc'])
    with pytest.raises(ValueError, match='unique'):
        UncertaintyWeighting(names=['loss_a', 'loss_a'])
    with pytest.raises(ValueError, match='num_terms'):
        UncertaintyWeighting(num_terms=0)
    with pytest.raises(ValueError, match='got only 1'):
        UncertaintyWeighting(num_terms=2)(dict(loss_a=torch.tensor(1.0)))


def test_configured_names_keep_state_tensor_only():
    """torch.jit.trace (FLOP counting, ONNX) needs tensor-only state."""
    import torch
    from medproto.models.losses import UncertaintyWeighting
    module = UncertaintyWeighting(names=['loss_cls', 'loss_proto'])
    assert all(torch.is_tensor(v) for v in module.state_dict().values())
    torch.jit.trace(torch.nn.Sequential(torch.nn.Linear(2, 2)),
                    torch.zeros(1, 2))  # sanity: tracing works here
    wrapper = torch.nn.Module()
    wrapper.weighting = module
    assert 'weighting.names' not in wrapper.state_dict()
