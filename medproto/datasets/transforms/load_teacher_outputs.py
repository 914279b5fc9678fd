# Copyright (c) medproto contributors. All rights reserved.
"""Read a sample's cached teacher outputs in the data loader."""
from typing import Optional, Sequence

import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from medproto.distill.teacher_cache import (OUTPUT_LOADER, OUTPUTS_KEY,
                                            OUTPUTS_META_KEY, TeacherCache,
                                            TeacherCacheError)


@TRANSFORMS.register_module()
class LoadTeacherOutputs(BaseTransform):
    """Read the teacher's cached outputs on a sample's view, so that the
    data loader's workers read the cache instead of the training step.

    Distillation from a teacher-output cache (the distiller's
    ``teacher_cache``) needs, for every sample, the teacher's recorded
    outputs on the view :class:`ViewAugment` drew. Without this transform
    the distiller reads them from disk in the training step; with it each
    worker reads its samples' views (one positioned read per recorder) and
    the step only converts them to float32, as the soft labels of Shen &
    Xing's fast KD framework (ECCV 2022) travel with the images. The values
    are the same bytes either way.

    Place it after ``PackSegInputs``: it reads ``sample_idx`` and
    ``view_idx`` from the packed data sample's metainfo and adds the data
    field ``teacher_outputs`` (the recorders' values one after the other,
    one flat float16 tensor) and the metainfo ``teacher_outputs_of`` (the
    cache's identity and the recorder names). ``cache`` must be the
    distiller's ``teacher_cache`` folder: ``tools/train.py`` points it
    there, :class:`TeacherCacheHook` refuses another before training, and
    the distiller refuses values from another cache.
    The cache fingerprint leaves this transform out (it changes no pixel),
    and ``tools/misc/build_teacher_cache.py`` skips it.

    Required keys: ``data_samples`` (with ``sample_idx`` and ``view_idx`` in
    its metainfo).
    Modified keys: ``data_samples`` (``teacher_outputs`` and
    ``teacher_outputs_of`` added).

    Args:
        cache (str): The teacher-output cache folder.
        names (Sequence[str], optional): The recorders to read. Defaults to
            None (every recorder of the cache).
    """

    def __init__(self,
                 cache: str,
                 names: Optional[Sequence[str]] = None) -> None:
        if not isinstance(cache, str) or not cache:
            raise TeacherCacheError(
                f'{OUTPUT_LOADER}: cache must be the teacher-output cache '
                f'folder (the distiller\'s teacher_cache), got {cache!r}')
        if names is not None and (
                isinstance(names, str) or not names
                or not all(isinstance(n, str) for n in names)):
            raise TeacherCacheError(
                f'{OUTPUT_LOADER}: names must be None or a non-empty list '
                f'of recorder names, got {names!r}')
        self.cache = cache
        self.names = None if names is None else tuple(names)
        self._reader: Optional[TeacherCache] = None

    @property
    def reader(self) -> TeacherCache:
        """TeacherCache: The cache, opened on first use (in each worker)."""
        if self._reader is None:
            self._reader = TeacherCache(self.cache)
            names = self.names or tuple(self._reader.shapes)
            self._reader.layout(names)  # refuses unknown names
            self.names = names
        return self._reader

    def transform(self, results: dict) -> dict:
        """Add ``teacher_outputs`` to the packed data sample's metainfo.

        Args:
            results (dict): The output of ``PackSegInputs``.

        Returns:
            dict: ``results`` with the sample's cached teacher outputs.
        """
        sample = results.get('data_samples') if isinstance(results,
                                                           dict) else None
        meta = getattr(sample, 'metainfo', None)
        if meta is None:
            raise TeacherCacheError(
                f'{OUTPUT_LOADER} must come after PackSegInputs in the train '
                'pipeline (it reads the packed data sample)')
        if 'sample_idx' not in meta or 'view_idx' not in meta:
            raise TeacherCacheError(
                f"{OUTPUT_LOADER} needs 'sample_idx' and 'view_idx' in the "
                'meta_keys of PackSegInputs and ViewAugment before it')
        reader = self.reader
        values = reader.read_view(int(meta['sample_idx']),
                                  int(meta['view_idx']), self.names)
        sample.set_metainfo(
            {OUTPUTS_META_KEY: dict(cache=reader.identity, names=self.names)})
        sample.set_data({OUTPUTS_KEY: torch.from_numpy(values)})
        return results

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_reader'] = None  # workers open their own files
        return state

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(cache={self.cache!r}, '
                f'names={self.names!r})')
