# Copyright (c) medproto contributors. All rights reserved.
import random

import pytest

from medproto.datasets import file_pairing
from medproto.datasets.file_pairing import (list_files_by_stem, natural_key,
                                            normalize_suffixes, pair_by_stem,
                                            read_split_file, seeded_split)


def test_natural_key_orders_numbers_by_value():
    assert sorted(['10', '2', '1'], key=natural_key) == ['1', '2', '10']


def test_normalize_suffixes():
    assert normalize_suffixes('.JPG', 'img_suffix') == ('.jpg', )
    assert normalize_suffixes(['.png', '.tif'], 'k') == ('.png', '.tif')
    with pytest.raises(ValueError, match='img_suffix'):
        normalize_suffixes([], 'img_suffix')


def test_pairing_ignores_listing_order(tmp_path, make_pair, monkeypatch):
    for stem in ['3', '1', '20', 'b', 'a']:
        make_pair(tmp_path, stem, '.jpg', '.png')
    real_listdir = file_pairing.os.listdir

    def shuffled_listdir(path):
        names = real_listdir(path)
        random.Random(str(path)).shuffle(names)
        return names

    monkeypatch.setattr(file_pairing.os, 'listdir', shuffled_listdir)
    images = list_files_by_stem(str(tmp_path / 'images'), ('.jpg', ), 'img')
    masks = list_files_by_stem(str(tmp_path / 'masks'), ('.png', ), 'mask')
    pairs = pair_by_stem(images, masks, 'img', 'mask')
    assert [p[0] for p in pairs] == ['1', '3', '20', 'a', 'b']
    for stem, img, mask in pairs:
        assert img.endswith(f'images/{stem}.jpg')
        assert mask.endswith(f'masks/{stem}.png')


def test_duplicate_stem_is_refused(tmp_path, make_pair):
    make_pair(tmp_path, 'a', '.jpg')
    make_pair(tmp_path, 'a', '.png')
    with pytest.raises(ValueError, match=r'a\.jpg.*a\.png'):
        list_files_by_stem(str(tmp_path / 'images'), ('.jpg', '.png'), 'img')


def test_orphans_are_named():
    with pytest.raises(FileNotFoundError, match=r'no mask.*x/b\.png'):
        pair_by_stem({'a': 'x/a.png', 'b': 'x/b.png'}, {'a': 'y/a.png'},
                     'img', 'mask')
    with pytest.raises(FileNotFoundError, match=r'no image.*y/c\.png'):
        pair_by_stem({'a': 'x/a.png'}, {'a': 'y/a.png', 'c': 'y/c.png'},
                     'img', 'mask')


def test_seeded_split_is_deterministic_disjoint_and_covering():
    stems = [str(i) for i in range(50)]
    train = seeded_split(stems, 'train', 0.2, seed=7)
    val = seeded_split(stems, 'val', 0.2, seed=7)
    assert len(val) == 10 and len(train) == 40
    assert not set(train) & set(val)
    assert set(train) | set(val) == set(stems)
    # listing order does not matter, the seed does
    assert seeded_split(stems[::-1], 'val', 0.2, seed=7) == val
    assert seeded_split(stems, 'val', 0.2, seed=8) != val
    assert seeded_split(stems, 'all', 0.2, seed=7) == stems


@pytest.mark.parametrize('split, ratio', [('test', 0.2), ('val', 1.0),
                                          ('val', -0.1)])
def test_seeded_split_rejects_bad_settings(split, ratio):
    with pytest.raises(ValueError):
        seeded_split(['a', 'b'], split, ratio, seed=0)


def test_read_split_file(tmp_path):
    path = tmp_path / 'split.txt'
    path.write_text('# comment\nb\n\na\n')
    assert read_split_file(str(path)) == ['b', 'a']
    path.write_text('a\nb\na\n')
    with pytest.raises(ValueError, match='repeats'):
        read_split_file(str(path))
    path.write_text('\n# nothing\n')
    with pytest.raises(ValueError, match='lists no sample'):
        read_split_file(str(path))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        read_split_file(str(tmp_path / 'missing.txt'))
