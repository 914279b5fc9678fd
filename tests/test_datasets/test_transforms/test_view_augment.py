# Copyright (c) medproto contributors. All rights reserved.
import copy

import mmcv
import numpy as np
import pytest
from mmseg.datasets.transforms import RandomFlip, RandomRotate

from medproto.datasets.transforms import ViewAugment


def sample(sample_idx: int = 3, size=(40, 48), seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    mask = np.zeros(size, np.uint8)
    mask[5:20, 8:30] = 1
    return dict(img=img, gt_seg_map=mask, seg_fields=['gt_seg_map'],
                img_shape=size, sample_idx=sample_idx)


def with_mmseg_transforms(results: dict, params: dict) -> dict:
    """The same view through mmseg's own RandomFlip / RandomRotate with
    every random choice forced to the view's parameters."""
    for flip, direction in ((params['hflip'], 'horizontal'),
                            (params['vflip'], 'vertical')):
        if flip:
            results = RandomFlip(prob=1.0, direction=direction)(results)
    if params['angle'] is not None:
        angle = params['angle']
        results = RandomRotate(prob=1.0, degree=(angle, angle), pad_val=0,
                               seg_pad_val=0)(results)
    return results


def test_view_parameters_are_a_function_of_seed_sample_and_view():
    a, b = ViewAugment(num_views=8), ViewAugment(num_views=8)
    views = [a.view_params(5, k) for k in range(8)]
    assert views == [b.view_params(5, k) for k in range(8)]
    # views differ between views, samples and seeds (always rotated: the
    # angles tell them apart)
    rotated = ViewAugment(num_views=8, rotate_prob=1.0)
    angles = [rotated.view_params(5, k)['angle'] for k in range(8)]
    assert len(set(angles)) == 8
    assert rotated.view_params(6, 0)['angle'] not in angles
    assert ViewAugment(num_views=8, seed=1, rotate_prob=1.0).view_params(
        5, 0)['angle'] not in angles
    # a probability changes only its own decision
    never = ViewAugment(num_views=8, hflip_prob=0.0)
    for k, view in enumerate(views):
        other = never.view_params(5, k)
        assert not other['hflip']
        assert (other['vflip'], other['angle']) == (view['vflip'],
                                                    view['angle'])


def test_probabilities_and_angle_range_over_many_views():
    aug = ViewAugment(num_views=400, degree=(10, 20))
    views = [aug.view_params(0, k) for k in range(400)]
    for key in ('hflip', 'vflip'):
        assert 150 < sum(v[key] for v in views) < 250
    angles = [v['angle'] for v in views if v['angle'] is not None]
    assert 150 < len(angles) < 250
    assert all(10 <= a <= 20 for a in angles)


@pytest.mark.parametrize('view_idx', range(8))
def test_a_view_is_bit_identical_to_mmseg_flips_and_rotation(view_idx):
    aug = ViewAugment(num_views=8, seed=3)
    params = aug.view_params(3, view_idx)
    expected = with_mmseg_transforms(sample(), params)
    out = aug(dict(sample(), view_idx=view_idx))
    assert out['view_idx'] == view_idx
    np.testing.assert_array_equal(out['img'], expected['img'])
    np.testing.assert_array_equal(out['gt_seg_map'], expected['gt_seg_map'])


def test_the_eight_views_cover_flips_and_rotations():
    aug = ViewAugment(num_views=8, seed=3)
    views = [aug.view_params(3, k) for k in range(8)]
    assert any(v['hflip'] for v in views) and any(v['vflip'] for v in views)
    assert any(v['angle'] is not None for v in views)
    assert any(v['angle'] is None for v in views)


def test_crop_comes_first_at_the_drawn_offset():
    aug = ViewAugment(num_views=4, crop_size=(24, 32), hflip_prob=1.0,
                      vflip_prob=0.0, rotate_prob=0.0)
    params = aug.view_params(3, 2)
    fy, fx = params['crop']
    y0, x0 = int(fy * (40 - 24 + 1)), int(fx * (48 - 32 + 1))
    src = sample()
    out = aug(dict(copy.deepcopy(src), view_idx=2))
    img = mmcv.imflip(src['img'][y0:y0 + 24, x0:x0 + 32], 'horizontal')
    np.testing.assert_array_equal(out['img'], img)
    assert out['img_shape'] == (24, 32)
    assert out['gt_seg_map'].shape == (24, 32)
    with pytest.raises(ValueError, match='larger than the image'):
        ViewAugment(num_views=1, crop_size=(64, 8))(sample())


def test_training_draws_a_view_and_records_it():
    aug = ViewAugment(num_views=4)
    np.random.seed(0)
    drawn = set()
    for _ in range(40):
        out = aug(sample())
        k = out['view_idx']
        drawn.add(k)
        replay = aug(dict(sample(), view_idx=k))
        np.testing.assert_array_equal(out['img'], replay['img'])
        np.testing.assert_array_equal(out['gt_seg_map'],
                                      replay['gt_seg_map'])
    assert drawn == {0, 1, 2, 3}


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_views=0), 'num_views must be an int >= 1'),
    (dict(num_views=2.0), 'num_views must be an int >= 1'),
    (dict(num_views=2, hflip_prob=1.5), 'hflip_prob must be a number'),
    (dict(num_views=2, degree=(30, 10)), 'degree must be'),
    (dict(num_views=2, degree=-5), 'degree must be >= 0'),
    (dict(num_views=2, crop_size=(8, )), r'crop_size must be \(h, w\)'),
    (dict(num_views=2, seed=-1), 'seed must be an int >= 0'),
])
def test_bad_arguments_are_refused_in_one_line(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        ViewAugment(**kwargs)
    assert '\n' not in str(info.value)


def test_missing_sample_idx_and_bad_view_are_refused():
    results = sample()
    del results['sample_idx']
    with pytest.raises(KeyError, match='needs `sample_idx`'):
        ViewAugment(num_views=2)(results)
    with pytest.raises(ValueError, match='view_idx 2 is outside'):
        ViewAugment(num_views=2)(dict(sample(), view_idx=2))
