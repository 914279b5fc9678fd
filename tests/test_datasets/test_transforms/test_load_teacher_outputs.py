# Copyright (c) medproto contributors. All rights reserved.
"""LoadTeacherOutputs on a small cache written with random values."""
import pickle

import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from medproto.datasets.transforms import LoadTeacherOutputs
from medproto.distill.teacher_cache import (OUTPUTS_KEY, OUTPUTS_META_KEY,
                                            TeacherCache, TeacherCacheError,
                                            TeacherCacheWriter)

N, K = 5, 3
SHAPES = dict(logits=(1, 8, 8), skip=(4, 4, 4), embed=(2, 8, 8))


@pytest.fixture(scope='module')
def cache_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('outputs') / 'cache')
    writer = TeacherCacheWriter(out, N, K)
    gen = torch.Generator().manual_seed(0)
    for k in range(K):
        writer.write(
            {name: torch.randn((N, *shape), generator=gen)
             for name, shape in SHAPES.items()}, list(range(N)), [k] * N)
    writer.close(dict(teacher_checkpoint='x'),
                 {name: name for name in SHAPES}, {})
    return out


def packed(sample_idx: int, view_idx: int) -> dict:
    sample = SegDataSample(metainfo=dict(sample_idx=sample_idx,
                                         view_idx=view_idx))
    return dict(inputs=torch.zeros(3, 8, 8), data_samples=sample)


@pytest.mark.parametrize('names', [None, ('skip', 'logits')])
def test_the_loaded_values_are_the_cached_views(cache_dir, names):
    cache = TeacherCache(cache_dir)
    loader = LoadTeacherOutputs(cache=cache_dir, names=names)
    for i, k in ((0, 0), (4, 2), (2, 1)):
        sample = loader(packed(i, k))['data_samples']
        loaded = sample.metainfo[OUTPUTS_META_KEY]
        assert loaded['cache'] == cache.identity
        assert loaded['names'] == (names or tuple(SHAPES))
        values = sample.get(OUTPUTS_KEY)  # a data field: .to() keeps it
        assert sample.to('cpu').get(OUTPUTS_KEY) is values
        assert values.dtype == torch.float16 and values.dim() == 1
        start = 0
        for name in loaded['names']:
            stored = cache.read(name, [i], [k])[0]
            part = values[start:start + stored.size].numpy()
            np.testing.assert_array_equal(part.view(np.uint16),
                                          stored.reshape(-1).view(np.uint16))
            start += stored.size
        assert start == values.numel()


def test_a_pickled_loader_opens_its_own_reader(cache_dir):
    loader = LoadTeacherOutputs(cache=cache_dir)
    loader(packed(1, 1))  # opens the files
    copy = pickle.loads(pickle.dumps(loader))  # as a DataLoader worker gets
    assert copy._reader is None
    a = loader(packed(3, 2))['data_samples'].get(OUTPUTS_KEY)
    b = copy(packed(3, 2))['data_samples'].get(OUTPUTS_KEY)
    assert torch.equal(a, b)


@pytest.mark.parametrize('kwargs, match', [
    (dict(cache=''), 'cache must be the teacher-output cache folder'),
    (dict(cache=3), 'cache must be the teacher-output cache folder'),
    (dict(cache='x', names='logits'), 'names must be None or a non-empty'),
    (dict(cache='x', names=[]), 'names must be None or a non-empty'),
])
def test_bad_arguments_are_refused_in_one_line(kwargs, match):
    with pytest.raises(TeacherCacheError, match=match) as err:
        LoadTeacherOutputs(**kwargs)
    assert '\n' not in str(err.value)


def test_bad_placement_and_names_are_refused_in_one_line(cache_dir):
    loader = LoadTeacherOutputs(cache=cache_dir)
    unpacked = dict(img=np.zeros((8, 8, 3), np.uint8), sample_idx=0,
                    view_idx=0)
    with pytest.raises(TeacherCacheError, match='after PackSegInputs'):
        loader(unpacked)
    no_view = dict(data_samples=SegDataSample(metainfo=dict(sample_idx=0)))
    with pytest.raises(TeacherCacheError, match="'view_idx' in the meta"):
        loader(no_view)
    with pytest.raises(TeacherCacheError, match="no recorder 'feat'"):
        LoadTeacherOutputs(cache=cache_dir, names=['feat'])(packed(0, 0))
    with pytest.raises(TeacherCacheError, match='outside'):
        loader(packed(N, 0))
    with pytest.raises(FileNotFoundError, match='not a cache folder'):
        LoadTeacherOutputs(cache=cache_dir + '_missing')(packed(0, 0))
