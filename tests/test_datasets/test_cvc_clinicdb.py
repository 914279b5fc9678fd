# Copyright (c) medproto contributors. All rights reserved.
from pathlib import Path

import pytest

from medproto.datasets import CVCClinicDBDataset


def _stems(dataset):
    return [
        Path(dataset.get_data_info(i)['img_path']).stem
        for i in range(len(dataset))
    ]


def test_original_png_layout(sample_data):
    dataset = CVCClinicDBDataset(data_root=str(sample_data / 'cvc_clinicdb'))
    assert _stems(dataset) == ['39', '50', '60', '61']
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith('PNG/Original/39.png')
    assert info['seg_map_path'].endswith('PNG/Ground Truth/39.png')


@pytest.mark.parametrize('layout, img_dir, mask_dir, suffix', [
    ('tif', 'TIF/Original', 'TIF/Ground Truth', '.tif'),
    ('flat', 'images', 'masks', '.png'),
])
def test_other_layouts_are_detected(tmp_path, make_pair, layout, img_dir,
                                    mask_dir, suffix):
    for stem in ['1', '2']:
        make_pair(tmp_path, stem, suffix, suffix, img_dir=img_dir,
                  mask_dir=mask_dir)
    for chosen in ('auto', layout):
        dataset = CVCClinicDBDataset(data_root=str(tmp_path), layout=chosen)
        assert _stems(dataset) == ['1', '2']
        assert f'/{mask_dir}/' in dataset.get_data_info(0)['seg_map_path']


def test_seeded_split_is_deterministic_and_disjoint(tmp_path, make_pair):
    for i in range(1, 21):
        make_pair(tmp_path, str(i), size=(8, 8), img_dir='PNG/Original',
                  mask_dir='PNG/Ground Truth')

    def part(split, seed=42):
        return _stems(
            CVCClinicDBDataset(
                data_root=str(tmp_path), split=split, val_ratio=0.25,
                seed=seed))

    train, val = part('train'), part('val')
    assert len(train) == 15 and len(val) == 5
    assert not set(train) & set(val)
    assert set(train) | set(val) == {str(i) for i in range(1, 21)}
    assert part('val') == val and part('train') == train
    assert part('val', seed=0) != val


def test_missing_layout_names_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}.*PNG/Original'):
        CVCClinicDBDataset(data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"data_prefix\['img_path'\]"):
        CVCClinicDBDataset(data_root=str(tmp_path), layout='tif')
    with pytest.raises(ValueError, match='layout'):
        CVCClinicDBDataset(data_root=str(tmp_path), layout='jpg')
