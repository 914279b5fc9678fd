# Copyright (c) medproto contributors. All rights reserved.
import shutil

import pytest

from medproto.datasets import ImageFolderLT, long_tail_counts

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def test_classes_are_sorted_folders_with_counts(sample_data):
    dataset = ImageFolderLT(data_root=str(sample_data / 'pbc_blood_cells'))
    assert dataset.CLASSES == ('basophil', 'eosinophil', 'lymphocyte')
    assert dataset.metainfo['class_counts'] == [6, 6, 6]
    assert dataset.get_gt_labels().tolist() == [0] * 6 + [1] * 6 + [2] * 6
    assert '/eosinophil/' in dataset.get_data_info(6)['img_path']


def test_imbalance_factor_applies_the_long_tail_profile(sample_data):
    root = str(sample_data / 'pbc_blood_cells')
    dataset = ImageFolderLT(data_root=root, imbalance_factor=3, imb_seed=1)
    assert dataset.metainfo['class_counts'] == long_tail_counts(6, 3, 3)
    assert dataset.metainfo['class_counts'] == [6, 3, 2]
    again = ImageFolderLT(data_root=root, imbalance_factor=3, imb_seed=1)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(11)]
    assert paths == [again.get_data_info(i)['img_path'] for i in range(11)]
    reordered = ImageFolderLT(
        data_root=root,
        imbalance_factor=3,
        class_order=['lymphocyte', 'basophil', 'eosinophil'])
    assert reordered.metainfo['class_counts'] == [3, 2, 6]


def test_classes_select_and_order_folders(sample_data):
    dataset = ImageFolderLT(
        data_root=str(sample_data / 'pbc_blood_cells'),
        classes=['lymphocyte', 'basophil'])
    assert dataset.metainfo['class_counts'] == [6, 6]
    assert '/lymphocyte/' in dataset.get_data_info(0)['img_path']


def test_getitem_packs_image_label_and_sample_idx(sample_data):
    dataset = ImageFolderLT(
        data_root=str(sample_data / 'pbc_blood_cells'), pipeline=PIPELINE)
    packed = dataset[7]
    assert tuple(packed['inputs'].shape) == (3, 128, 128)
    assert packed['data_samples'].gt_label.tolist() == [1]
    assert packed['data_samples'].sample_idx == 7


def _copy_sample(sample_data, tmp_path):
    root = tmp_path / 'pbc'
    shutil.copytree(sample_data / 'pbc_blood_cells', root)
    return root


def test_empty_class_folder_is_named(sample_data, tmp_path):
    root = _copy_sample(sample_data, tmp_path)
    (root / 'monocyte').mkdir()
    with pytest.raises(FileNotFoundError, match='monocyte.*holds no image'):
        ImageFolderLT(data_root=str(root))


def test_empty_or_missing_root_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no class sub-folder'):
        ImageFolderLT(data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match='nowhere.*does not exist'):
        ImageFolderLT(data_root=str(tmp_path / 'nowhere'))


def test_class_without_folder_is_named(sample_data):
    with pytest.raises(FileNotFoundError, match=r"\['platelet'\]"):
        ImageFolderLT(data_root=str(sample_data / 'pbc_blood_cells'),
                      classes=['basophil', 'platelet'])


def test_unreadable_images_are_named(sample_data, tmp_path):
    root = _copy_sample(sample_data, tmp_path)
    (root / 'basophil' / 'zero.jpg').write_bytes(b'')
    with pytest.raises(OSError, match=r'zero\.jpg.*empty'):
        ImageFolderLT(data_root=str(root))
    (root / 'basophil' / 'zero.jpg').write_bytes(b'garbage, not a JPEG')
    dataset = ImageFolderLT(
        data_root=str(root), pipeline=PIPELINE, test_mode=True)
    with pytest.raises(Exception, match=r'zero\.jpg'):
        dataset[6]


@pytest.mark.parametrize('kwargs, match', [
    (dict(imbalance_factor=0.5), 'imbalance_factor'),
    (dict(class_order=['basophil']), 'class_order'),
    (dict(imbalance_factor=2, class_order=['basophil']), 'class_order'),
    (dict(imbalance_factor=2, class_order=['a', 'b', 'c']), 'class_order'),
    (dict(ann_file='meta.txt'), 'ann_file'),
])
def test_bad_settings_are_refused(sample_data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ImageFolderLT(data_root=str(sample_data / 'pbc_blood_cells'),
                      **kwargs)
