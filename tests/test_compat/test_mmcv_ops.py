# Copyright (c) medproto contributors. All rights reserved.
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

import medproto  # noqa: F401
from medproto.compat import mmcv_ops


def test_standin_is_active_with_mmcv_lite():
    if mmcv_ops.compiled_mmcv_available():
        pytest.skip('a compiled mmcv is installed: the stand-in stays off')
    import mmcv.ops
    assert getattr(mmcv.ops, '__medproto_standin__', False)
    import mmseg.models  # noqa: F401  (fails without the stand-in)


def test_other_names_raise_module_not_found():
    if mmcv_ops.compiled_mmcv_available():
        pytest.skip('compiled mmcv installed')
    with pytest.raises(ModuleNotFoundError, match='CrissCrossAttention'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    # mmseg's own optional-import fallback then works:
    from mmseg.models.decode_heads import cc_head
    assert cc_head.CrissCrossAttention is None


def test_point_sample_matches_manual_bilinear():
    torch.manual_seed(0)
    feat = torch.randn(2, 3, 5, 7)
    points = torch.rand(2, 11, 2)
    out = mmcv_ops.point_sample(feat, points, align_corners=False)
    assert out.shape == (2, 3, 11)
    # independent bilinear interpolation (align_corners=False convention)
    H, W = feat.shape[-2:]
    for b in range(2):
        for p in range(11):
            x = points[b, p, 0].item() * W - 0.5
            y = points[b, p, 1].item() * H - 0.5
            x0, y0 = int(torch.floor(torch.tensor(x))), int(
                torch.floor(torch.tensor(y)))
            val = torch.zeros(3)
            for dy in (0, 1):
                for dx in (0, 1):
                    xi, yi = x0 + dx, y0 + dy
                    w = (1 - abs(x - xi)) * (1 - abs(y - yi))
                    if 0 <= xi < W and 0 <= yi < H:
                        val += w * feat[b, :, yi, xi]
            torch.testing.assert_close(out[b, :, p], val, atol=1e-5,
                                       rtol=1e-5)


def test_point_sample_grid_points_keep_4d():
    feat = torch.randn(1, 2, 4, 4)
    pts = torch.rand(1, 3, 5, 2)
    assert mmcv_ops.point_sample(feat, pts).shape == (1, 2, 3, 5)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_sigmoid_focal_loss_matches_formula(reduction):
    torch.manual_seed(1)
    logits = torch.randn(6, 4, requires_grad=True)
    target = torch.tensor([0, 3, 1, 4, 2, 2])  # 4 == background
    gamma, alpha = 2.0, 0.25
    loss = mmcv_ops.sigmoid_focal_loss(logits, target, gamma, alpha, None,
                                       reduction)
    # independent: mmseg's pure-python focal loss on one-hot targets
    onehot = torch.zeros(6, 4)
    for i, t in enumerate(target.tolist()):
        if t < 4:
            onehot[i, t] = 1
    p = logits.sigmoid()
    pt = (1 - p) * onehot + p * (1 - onehot)
    w = (alpha * onehot + (1 - alpha) * (1 - onehot)) * pt.pow(gamma)
    ref = F.binary_cross_entropy_with_logits(logits, onehot,
                                             reduction='none') * w
    if reduction == 'mean':
        ref = ref.sum() / 6
    elif reduction == 'sum':
        ref = ref.sum()
    torch.testing.assert_close(loss, ref)
    loss.sum().backward()
    assert logits.grad.abs().sum() > 0


def test_sigmoid_focal_loss_class_weight_and_errors():
    logits = torch.randn(3, 2)
    target = torch.tensor([0, 1, 2])
    base = mmcv_ops.sigmoid_focal_loss(logits, target, reduction='none')
    weighted = mmcv_ops.sigmoid_focal_loss(
        logits, target, weight=torch.tensor([2.0, 3.0]), reduction='none')
    torch.testing.assert_close(weighted[0], base[0] * 2)
    torch.testing.assert_close(weighted[1], base[1] * 3)
    torch.testing.assert_close(weighted[2], base[2])
    with pytest.raises(ValueError, match='one per class'):
        mmcv_ops.sigmoid_focal_loss(logits, target, weight=torch.ones(3))
    with pytest.raises(ValueError, match='reduction'):
        mmcv_ops.sigmoid_focal_loss(logits, target, reduction='avg')


def test_compiled_mmcv_wins(tmp_path):
    """With a (fake) compiled mmcv._ext on the path, nothing is replaced."""
    import mmcv
    fake_root = tmp_path / 'site'
    code = textwrap.dedent(f"""
        import importlib.util, sys
        real_find_spec = importlib.util.find_spec
        real_spec_from_file = importlib.util.spec_from_file_location
        def find_spec(name, *a, **k):
            if name == 'mmcv._ext':
                return object()  # pretend the compiled extension exists
            return real_find_spec(name, *a, **k)
        importlib.util.find_spec = find_spec
        # load the module alone: the medproto package would import mmseg,
        # which needs the (here pretended) compiled ops
        spec = real_spec_from_file('standalone_mmcv_ops', {mmcv_ops.__file__!r})
        mmcv_ops = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mmcv_ops)
        assert mmcv_ops.install() is False
        assert 'mmcv.ops' not in sys.modules
        print('untouched')
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, cwd=str(fake_root.parent))
    assert out.returncode == 0, out.stderr
    assert 'untouched' in out.stdout
    assert mmcv.__version__
