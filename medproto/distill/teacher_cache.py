# Copyright (c) medproto contributors. All rights reserved.
"""A teacher-output cache: the teacher's recorded outputs on K fixed
augmented views of every training image, memory-mapped from disk.

Distillation with a frozen teacher repeats the teacher's forward pass on
every step. With K views per image fixed in advance
(:class:`medproto.datasets.transforms.ViewAugment`), the teacher's outputs
can be computed once and read back, while the training pipeline still draws
a random view for every sample and applies exactly its parameters to image
and mask ("consistent teaching", Beyer et al., *Knowledge distillation: A
good teacher is patient and consistent*, CVPR 2022; the fixed views are the
offline variant of Shen & Xing, *A Fast Knowledge Distillation Framework
for Visual Recognition*, ECCV 2022).

A cache is a folder::

    DIR/meta.json          format, N, K, recorder shapes, the fingerprint
    DIR/<recorder>.npy     float16, (N, K, *feature_shape), one per
                           teacher recorder

The fingerprint names what the cached values depend on: the teacher
checkpoint (SHA-256 of the file), the teacher model config, the teacher
recorders, the data preprocessor, the train pipeline (``ViewAugment`` and
every other transform), the data files (relative paths and sizes) and K.
:class:`TeacherCache` refuses a run whose fingerprint differs, naming what
differs in one line.
"""
import copy
import datetime
import hashlib
import io
import json
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from medproto.utils.cli import ConfigError

__all__ = [
    'TeacherCacheError', 'TeacherCache', 'TeacherCacheWriter',
    'build_teacher_cache', 'sha256_file', 'sha256_json', 'pipeline_of',
    'view_augment_of', 'output_loader_of', 'cache_folder_of',
    'data_fingerprint',
    'dataset_fingerprint', 'FINGERPRINT_LABELS', 'OUTPUT_LOADER',
    'OUTPUTS_KEY', 'OUTPUTS_META_KEY'
]

CACHE_FORMAT = 1
META_FILE = 'meta.json'
VIEW_TRANSFORM = 'ViewAugment'
#: The pipeline transform that reads the cached outputs in the data loader
#: (:class:`medproto.datasets.transforms.LoadTeacherOutputs`); it changes
#: no pixel, so the pipeline fingerprint leaves it out.
OUTPUT_LOADER = 'LoadTeacherOutputs'
#: Data field in which that transform leaves a sample's outputs (a flat
#: float16 tensor: a data field is passed on by reference, where metainfo
#: would be deep-copied by every ``.to(device)``) ...
OUTPUTS_KEY = 'teacher_outputs'
#: ... and the metainfo key naming their cache and recorders.
OUTPUTS_META_KEY = 'teacher_outputs_of'
#: Fingerprint key -> the words an error uses for it.
FINGERPRINT_LABELS = {
    'teacher_checkpoint': 'teacher checkpoint',
    'teacher_config': 'teacher config',
    'teacher_recorders': 'teacher recorders',
    'data_preprocessor': 'data preprocessor',
    'pipeline': 'train pipeline',
    'data': 'data files',
    'num_views': 'number of views (ViewAugment num_views)',
}
#: Parts of transform names that draw random parameters per call; the
#: cache can only replay the randomness of ``ViewAugment``.
_RANDOM_NAME_PARTS = ('Random', 'PhotoMetric', 'Gaussian', 'Gamma', 'CutOut',
                      'Mosaic', 'ColorJitter', 'Albu', 'MixUp')
_REBUILD = 'rebuild it with tools/misc/build_teacher_cache.py'


class TeacherCacheError(ConfigError):
    """A teacher cache that does not fit the run, or a config that cannot
    use one; the tools print it as one line."""


# ------------------------------------------------------------------ hashes
def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def _plain(obj):
    """Mappings -> dicts with str keys, sequences -> lists (JSON-ready)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return repr(obj)


def sha256_json(obj) -> str:
    """SHA-256 of the canonical JSON of a config-like object (sorted keys,
    tuples as lists, anything else by its ``repr``)."""
    text = json.dumps(_plain(obj), sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()


# -------------------------------------------------------- pipeline and data
def pipeline_of(dataset_cfg: Mapping) -> list:
    """The ``pipeline`` of a dataset config, below any wrapper (e.g.
    ``RepeatDataset(dataset=...)``)."""
    cfg = dataset_cfg
    while isinstance(cfg, Mapping) and 'pipeline' not in cfg \
            and isinstance(cfg.get('dataset'), Mapping):
        cfg = cfg['dataset']
    if not isinstance(cfg, Mapping) or not isinstance(cfg.get('pipeline'),
                                                      (list, tuple)):
        raise TeacherCacheError(
            'teacher cache: the train dataset config has no '
            '`pipeline` list (train_dataloader.dataset.pipeline)')
    return list(cfg['pipeline'])


def _transform_name(cfg) -> str:
    kind = cfg.get('type') if isinstance(cfg, Mapping) else type(cfg)
    name = kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                      repr(kind))
    return name.split('.')[-1]


def view_augment_of(pipeline: Sequence) -> Mapping:
    """The one ``ViewAugment`` config of a train pipeline.

    Refuses a pipeline without exactly one ``ViewAugment`` or with another
    transform that draws random parameters (the cache could not replay it).

    Args:
        pipeline (Sequence[dict]): Transform configs.

    Returns:
        Mapping: The ``ViewAugment`` config.
    """
    names = [_transform_name(t) for t in pipeline]
    views = [i for i, n in enumerate(names) if n == VIEW_TRANSFORM]
    if len(views) != 1:
        raise TeacherCacheError(
            f'teacher cache: the train pipeline needs exactly one '
            f'{VIEW_TRANSFORM} (it has {len(views)}): replace the random '
            f'flips / rotation by dict(type={VIEW_TRANSFORM!r}, num_views=K)')
    random = [
        n for n in names
        if n != VIEW_TRANSFORM and any(p in n for p in _RANDOM_NAME_PARTS)
    ]
    if random:
        raise TeacherCacheError(
            f'teacher cache: train pipeline transform {random[0]} draws '
            'random parameters the cache cannot replay; keep every random '
            f'augmentation inside {VIEW_TRANSFORM}')
    cfg = pipeline[views[0]]
    if not isinstance(cfg, Mapping) or 'num_views' not in cfg:
        raise TeacherCacheError(
            f'teacher cache: {VIEW_TRANSFORM} in the train '
            'pipeline must be a config dict with num_views')
    return cfg


def cache_folder_of(cfg) -> str:
    """The folder of a ``teacher_cache`` setting: a folder or
    ``dict(path=FOLDER)``.

    Args:
        cfg (str | Mapping): The setting.

    Returns:
        str: The folder.
    """
    if isinstance(cfg, Mapping):
        unknown = set(cfg) - {'path'}
        if 'path' not in cfg or unknown:
            raise TeacherCacheError(
                'teacher_cache must be a folder or dict(path=FOLDER), '
                f'got {dict(cfg)!r}')
        cfg = cfg['path']
    if not isinstance(cfg, str):
        raise TeacherCacheError('teacher_cache must be a folder or '
                                f'dict(path=FOLDER), got {cfg!r}')
    return cfg


def output_loader_of(pipeline: Sequence) -> Optional[Mapping]:
    """The ``LoadTeacherOutputs`` config of a train pipeline, or None.

    Args:
        pipeline (Sequence[dict]): Transform configs.

    Returns:
        Mapping | None: The transform's config (at most one is allowed).
    """
    loaders = [t for t in pipeline if _transform_name(t) == OUTPUT_LOADER]
    if len(loaders) > 1:
        raise TeacherCacheError(
            f'teacher cache: the train pipeline has {len(loaders)} '
            f'{OUTPUT_LOADER} transforms; keep one, after PackSegInputs')
    return loaders[0] if loaders else None


def _base_dataset(dataset):
    """The dataset below wrappers such as ``RepeatDataset``."""
    while not hasattr(dataset, 'pipeline') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    if not hasattr(dataset, 'get_data_info') or not hasattr(
            dataset, 'pipeline'):
        raise TeacherCacheError(
            'teacher cache: the train dataset must be an '
            'mmengine BaseDataset (get_data_info and pipeline), '
            f'got {type(dataset).__name__}')
    return dataset


def data_fingerprint(dataset) -> str:
    """SHA-256 of the dataset's files in order: for every sample, each
    ``*_path`` entry as a path relative to ``data_root`` and its size.

    Args:
        dataset: An mmengine ``BaseDataset`` (wrappers are looked through).

    Returns:
        str: Hex digest.
    """
    dataset = _base_dataset(dataset)
    root = getattr(dataset, 'data_root', None) or ''
    entries = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        files = []
        for key in sorted(info):
            path = info[key]
            if key.endswith('_path') and isinstance(path, str):
                size = osp.getsize(path) if osp.isfile(path) else -1
                rel = osp.relpath(path, root) if root else path
                files.append([key, rel.replace(os.sep, '/'), size])
        entries.append(files)
    return sha256_json(entries)


def dataset_fingerprint(dataset_cfg: Mapping, dataset) -> Dict[str, object]:
    """The data side of a cache fingerprint: pipeline, data files, K.

    Args:
        dataset_cfg (Mapping): ``train_dataloader.dataset`` of the config.
        dataset: The built train dataset.

    Returns:
        dict: ``pipeline`` and ``data`` (hex digests) and ``num_views``.
        The pipeline digest leaves out ``LoadTeacherOutputs``, which reads
        the cache and changes no pixel.
    """
    pipeline = [t for t in pipeline_of(dataset_cfg)
                if _transform_name(t) != OUTPUT_LOADER]
    view_cfg = view_augment_of(pipeline)
    return dict(pipeline=sha256_json(pipeline),
                data=data_fingerprint(dataset),
                num_views=int(view_cfg['num_views']))


# ------------------------------------------------------------------ reader
class TeacherCache:
    """Read a teacher cache folder (memory-mapped, opened lazily).

    The arrays are not pickled or deep-copied with the object (a model copy,
    e.g. for EMA, would otherwise read the whole cache into memory); they are
    opened again on the next read.

    Args:
        path (str): The cache folder written by :func:`build_teacher_cache`.
    """

    def __init__(self, path: str) -> None:
        meta_file = osp.join(path, META_FILE)
        if not osp.isfile(meta_file):
            raise FileNotFoundError(
                f'teacher cache {path}: no {META_FILE} (not a cache folder; '
                f'build one with tools/misc/build_teacher_cache.py)')
        with open(meta_file) as f:
            meta = json.load(f)
        if meta.get('format') != CACHE_FORMAT:
            raise TeacherCacheError(
                f'teacher cache {path}: format '
                f'{meta.get("format")!r}, this medproto reads '
                f'{CACHE_FORMAT}; {_REBUILD}')
        for name in meta['recorders']:
            if not osp.isfile(osp.join(path, f'{name}.npy')):
                raise FileNotFoundError(f'teacher cache {path}: recorder '
                                        f'file {name}.npy is missing')
        self.path = path
        self.meta = meta
        self._identity: Optional[str] = None
        self._arrays: Dict[str, np.ndarray] = {}
        self._files: Dict[str, io.RawIOBase] = {}

    @property
    def num_samples(self) -> int:
        """int: N, the training images."""
        return int(self.meta['num_samples'])

    @property
    def num_views(self) -> int:
        """int: K, the views per image."""
        return int(self.meta['num_views'])

    @property
    def fingerprint(self) -> Dict[str, object]:
        """dict: What the cached values depend on."""
        return self.meta['fingerprint']

    @property
    def shapes(self) -> Dict[str, Tuple[int, ...]]:
        """dict[str, tuple]: Recorder name -> feature shape of one view."""
        return {
            name: tuple(rec['shape'])
            for name, rec in self.meta['recorders'].items()
        }

    @property
    def identity(self) -> str:
        """str: A short digest of ``meta.json`` (fingerprint, N, K, shapes,
        build time): two folders with the same identity hold the same
        cache."""
        if self._identity is None:
            self._identity = sha256_json(self.meta)[:16]
        return self._identity

    def layout(self, names: Sequence[str]
               ) -> Dict[str, Tuple[int, int, Tuple[int, ...]]]:
        """Where each recorder lies in a flat view of :meth:`read_view`.

        Args:
            names (Sequence[str]): Recorder names, in the flat order.

        Returns:
            dict: name -> (start, stop, feature shape), element offsets.
        """
        shapes = self.shapes
        out, start = {}, 0
        for name in names:
            if name not in shapes:
                raise TeacherCacheError(
                    f'teacher cache {self.path} has no recorder '
                    f'{name!r}; it has {list(shapes)}')
            stop = start + int(np.prod(shapes[name]))
            out[name] = (start, stop, shapes[name])
            start = stop
        return out

    def read_view(self, sample_idx: int, view_idx: int,
                  names: Sequence[str]) -> np.ndarray:
        """One view's values of several recorders, one after the other.

        Args:
            sample_idx (int): The sample index.
            view_idx (int): The view index.
            names (Sequence[str]): Recorder names (see :meth:`layout`).

        Returns:
            np.ndarray: float16, (sum of the features' sizes,).
        """
        layout = self.layout(names)
        sample_idx, view_idx = int(sample_idx), int(view_idx)
        self._check_indices(np.array([sample_idx]), np.array([view_idx]))
        out = np.empty(max((v[1] for v in layout.values()), default=0),
                       np.float16)
        for name, (start, stop, _) in layout.items():
            self._read_rows(name, [sample_idx], [view_idx],
                            out[None, start:stop])
        return out

    def check(self, actual: Mapping[str, object]) -> None:
        """Refuse, in one line, a run whose fingerprint differs.

        Args:
            actual (Mapping): Fingerprint entries of this run (any subset of
                :data:`FINGERPRINT_LABELS`). ``teacher_recorders`` (name ->
                source) must be contained in the cache's.
        """
        cached = self.fingerprint
        differ, notes = [], []
        for key, value in actual.items():
            if key == 'teacher_recorders':
                stored = cached.get(key) or {}
                bad = [n for n, s in value.items() if stored.get(n) != s]
                if bad:
                    differ.append(FINGERPRINT_LABELS[key])
                    notes.append(f'recorders {bad} are missing or record '
                                 'other modules')
            elif cached.get(key) != _plain(value):
                differ.append(FINGERPRINT_LABELS.get(key, key))
                notes.append(f'{key} {_short(cached.get(key))} vs '
                             f'{_short(value)}')
        if differ:
            raise TeacherCacheError(
                f'teacher cache {self.path} was built with another '
                f'{" and another ".join(differ)} ({"; ".join(notes)}); '
                f'{_REBUILD}')

    def read(self, name: str, sample_idx: np.ndarray,
             view_idx: np.ndarray) -> np.ndarray:
        """The cached values of one recorder for a batch.

        Each view of a recorder is one contiguous block of its ``.npy``
        file, read with one positioned read into the returned array (the
        same bytes as indexing the memory map, without a page fault per
        4 KiB page: 2-3x less CPU time for a batch of 128x128 embeddings).

        Args:
            name (str): Recorder name.
            sample_idx (np.ndarray): (B,) int sample indices.
            view_idx (np.ndarray): (B,) int view indices.

        Returns:
            np.ndarray: float16, (B, *feature_shape).
        """
        if name not in self.meta['recorders']:
            raise TeacherCacheError(
                f'teacher cache {self.path} has no recorder '
                f'{name!r}; it has {list(self.meta["recorders"])}')
        sample_idx = np.asarray(sample_idx, dtype=np.int64).reshape(-1)
        view_idx = np.asarray(view_idx, dtype=np.int64).reshape(-1)
        if sample_idx.shape != view_idx.shape:
            raise TeacherCacheError(
                f'teacher cache {self.path}: {sample_idx.size} sample '
                f'indices but {view_idx.size} view indices')
        self._check_indices(sample_idx, view_idx)
        array = self._array(name)
        out = np.empty((sample_idx.size, *array.shape[2:]), array.dtype)
        self._read_rows(name, sample_idx.tolist(), view_idx.tolist(),
                        out.reshape(sample_idx.size, out[:1].size))
        return out

    def _check_indices(self, sample_idx: np.ndarray,
                       view_idx: np.ndarray) -> None:
        """Refuse sample / view indices outside [0, N) / [0, K)."""
        for what, idx, size in (('sample_idx', sample_idx, self.num_samples),
                                ('view_idx', view_idx, self.num_views)):
            if idx.size and (idx.min() < 0 or idx.max() >= size):
                raise TeacherCacheError(
                    f'teacher cache {self.path}: {what} {idx.tolist()} '
                    f'outside [0, {size}) (built for another dataset?)')

    def _read_rows(self, name: str, sample_idx: List[int],
                   view_idx: List[int], rows: np.ndarray) -> None:
        """Read view ``(sample_idx[j], view_idx[j])`` of ``name`` into
        ``rows[j]`` (float16, contiguous, one view's size each); the
        indices are checked by the caller."""
        array = self._array(name)
        view_bytes = int(np.prod(array.shape[2:])) * array.itemsize
        file = self._file(name)
        for row, i, k in zip(rows, sample_idx, view_idx):
            offset = array.offset + (i * self.num_views + k) * view_bytes
            if row.nbytes != view_bytes or \
                    _pread_into(file, row, offset) != view_bytes:
                raise TeacherCacheError(
                    f'teacher cache {self.path}: {name}.npy is shorter than '
                    f'its header says (truncated?); {_REBUILD}')

    def _array(self, name: str) -> np.ndarray:
        """The memory map of ``name``: its shape, dtype and data offset
        (its pages are not read here)."""
        array = self._arrays.get(name)
        if array is None:
            file = osp.join(self.path, f'{name}.npy')
            try:
                array = np.load(file, mmap_mode='r')
            except ValueError as err:  # e.g. shorter than its header says
                raise TeacherCacheError(
                    f'teacher cache {file} cannot be read ({err}; '
                    f'truncated?); {_REBUILD}') from None
            expected = (self.num_samples, self.num_views,
                        *self.shapes[name])
            if (array.dtype != np.float16 or array.shape != expected
                    or not array.flags.c_contiguous):
                raise TeacherCacheError(
                    f'teacher cache {file}: {array.dtype} {array.shape}, '
                    f'meta.json says float16 {expected} (C order); '
                    f'{_REBUILD}')
            self._arrays[name] = array
        return array

    def _file(self, name: str):
        """An unbuffered binary handle on ``name``'s ``.npy`` file."""
        file = self._files.get(name)
        if file is None:
            file = open(osp.join(self.path, f'{name}.npy'), 'rb',
                        buffering=0)
            self._files[name] = file
        return file

    def close(self) -> None:
        """Close the open files (reading again reopens them)."""
        for file in self._files.values():
            file.close()
        self._files = {}
        self._arrays = {}

    def __del__(self) -> None:
        for file in getattr(self, '_files', {}).values():
            file.close()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_arrays'] = {}
        state['_files'] = {}
        return state

    def __deepcopy__(self, memo: dict) -> 'TeacherCache':
        new = copy.copy(self)
        new.meta = copy.deepcopy(self.meta, memo)
        new._arrays = {}
        new._files = {}
        return new

    def __repr__(self) -> str:
        return (f'TeacherCache({self.path!r}, N={self.num_samples}, '
                f'K={self.num_views}, recorders={list(self.shapes)})')


def _pread_into(file, buffer: np.ndarray, offset: int) -> int:
    """Read ``buffer.nbytes`` bytes at ``offset`` of ``file`` into the
    contiguous ``buffer``; returns the bytes read (fewer only at the end of
    the file)."""
    view = memoryview(buffer.view(np.uint8))
    done = 0
    while done < len(view):
        if hasattr(os, 'preadv'):  # one system call, no file position
            got = os.preadv(file.fileno(), [view[done:]], offset + done)
        else:
            file.seek(offset + done)
            got = file.readinto(view[done:])
        if not got:
            break
        done += got
    return done


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(_plain(value))
    return text[:12] if isinstance(value, str) else text


# ------------------------------------------------------------------ writer
class TeacherCacheWriter:
    """Write a cache folder atomically: into ``DIR.tmp``, renamed to ``DIR``
    by :meth:`close`.

    Args:
        out_dir (str): The cache folder to create.
        num_samples (int): N.
        num_views (int): K.
        overwrite (bool): Replace an existing ``out_dir``. Defaults to
            False (refuse).
    """

    def __init__(self,
                 out_dir: str,
                 num_samples: int,
                 num_views: int,
                 overwrite: bool = False) -> None:
        out_dir = osp.normpath(out_dir)
        if osp.exists(out_dir) and not overwrite:
            raise TeacherCacheError(f'teacher cache {out_dir} exists; choose '
                                    'another --out or pass --overwrite')
        if num_samples < 1 or num_views < 1:
            raise TeacherCacheError(
                f'teacher cache: need N >= 1 and K >= 1, got '
                f'N={num_samples}, K={num_views}')
        self.out_dir = out_dir
        self.tmp_dir = out_dir + '.tmp'
        if osp.isdir(self.tmp_dir):  # left by an interrupted build
            shutil.rmtree(self.tmp_dir)
        os.makedirs(self.tmp_dir)
        self.num_samples = num_samples
        self.num_views = num_views
        self._arrays: Dict[str, np.ndarray] = {}
        self._written = np.zeros((num_samples, num_views), bool)

    def write(self, outputs: Mapping[str, Tensor], sample_idx: Sequence[int],
              view_idx: Sequence[int]) -> None:
        """Store a batch of teacher outputs as float16.

        Args:
            outputs (Mapping[str, Tensor]): Recorder name -> (B, ...).
            sample_idx (Sequence[int]): (B,) sample indices.
            view_idx (Sequence[int]): (B,) view indices.
        """
        sample_idx = np.asarray(sample_idx, dtype=np.int64)
        view_idx = np.asarray(view_idx, dtype=np.int64)
        if (sample_idx.min() < 0 or sample_idx.max() >= self.num_samples
                or view_idx.min() < 0 or view_idx.max() >= self.num_views):
            raise TeacherCacheError(
                'teacher cache: sample / view index outside '
                f'N={self.num_samples}, K={self.num_views}')
        for name, value in outputs.items():
            if not isinstance(value, Tensor) or value.dim() < 1 \
                    or value.size(0) != len(sample_idx):
                raise TeacherCacheError(
                    f'teacher cache: recorder {name!r} must give one tensor '
                    f'(B={len(sample_idx)}, ...) per batch, got '
                    f'{getattr(value, "shape", type(value).__name__)}')
            full = value.detach().float().cpu().numpy()
            half = full.astype(np.float16)
            if not np.isfinite(half).all() and np.isfinite(full).all():
                raise TeacherCacheError(
                    f'teacher cache: recorder {name!r} exceeds the float16 '
                    f'range (max |value| {np.abs(full).max():.3g})')
            array = self._array(name, half.shape[1:])
            array[sample_idx, view_idx] = half
        self._written[sample_idx, view_idx] = True

    def _array(self, name: str, shape: Tuple[int, ...]) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:
            array = np.lib.format.open_memmap(osp.join(self.tmp_dir,
                                                       f'{name}.npy'),
                                              mode='w+',
                                              dtype=np.float16,
                                              shape=(self.num_samples,
                                                     self.num_views, *shape))
            self._arrays[name] = array
        elif array.shape[2:] != shape:
            raise TeacherCacheError(
                f'teacher cache: recorder {name!r} gives {shape} for one '
                f'view here but {array.shape[2:]} before: a cache needs one '
                'input size (Resize with keep_ratio=False, or a crop)')
        return array

    def close(self, fingerprint: Mapping[str, object],
              sources: Mapping[str, str], info: Mapping) -> dict:
        """Flush, write ``meta.json`` and rename ``DIR.tmp`` to ``DIR``.

        Args:
            fingerprint (Mapping): The cache fingerprint.
            sources (Mapping[str, str]): Recorder name -> module source.
            info (Mapping): Build details stored under ``build``.

        Returns:
            dict: The meta data written.
        """
        missing = np.argwhere(~self._written)
        if len(missing):
            raise TeacherCacheError(
                f'teacher cache: {len(missing)} (sample, view) '
                f'pairs were not written, e.g. '
                f'{missing[0].tolist()}')
        for array in self._arrays.values():
            array.flush()
        meta = dict(format=CACHE_FORMAT,
                    num_samples=self.num_samples,
                    num_views=self.num_views,
                    dtype='float16',
                    recorders={
                        name:
                        dict(source=sources.get(name),
                             shape=list(array.shape[2:]))
                        for name, array in self._arrays.items()
                    },
                    fingerprint=_plain(fingerprint),
                    build=_plain(info))
        self._arrays.clear()
        with open(osp.join(self.tmp_dir, META_FILE), 'w') as f:
            json.dump(meta, f, indent=2)
        old = None
        if osp.exists(self.out_dir):
            old = self.out_dir + '.old'
            if osp.exists(old):
                shutil.rmtree(old)
            os.rename(self.out_dir, old)
        os.rename(self.tmp_dir, self.out_dir)
        if old is not None:
            shutil.rmtree(old)
        return meta

    def abort(self) -> None:
        """Remove the unfinished ``DIR.tmp``."""
        self._arrays.clear()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


# ----------------------------------------------------------------- builder
class _ViewDataset(torch.utils.data.Dataset):
    """Every (sample, view) of a dataset: item ``j`` is view ``j % K`` of
    sample ``j // K``, through the dataset's own pipeline (without
    ``LoadTeacherOutputs``)."""

    def __init__(self, dataset, num_views: int) -> None:
        from mmengine.dataset import Compose

        self.dataset = dataset
        self.num_views = num_views
        # the builder writes the cache that LoadTeacherOutputs would read
        self.pipeline = Compose([
            t for t in getattr(dataset.pipeline, 'transforms',
                               [dataset.pipeline])
            if type(t).__name__ != OUTPUT_LOADER])

    def __len__(self) -> int:
        return len(self.dataset) * self.num_views

    def __getitem__(self, j: int) -> dict:
        i, k = divmod(j, self.num_views)
        info = self.dataset.get_data_info(i)
        info['view_idx'] = k
        out = self.pipeline(info)
        if out is None:
            raise TeacherCacheError(
                f'teacher cache: the pipeline dropped sample '
                f'{i} ({info.get("img_path")})')
        return out


def _batch_indices(data_samples: list) -> Tuple[List[int], List[int]]:
    keys = ('sample_idx', 'view_idx')
    for key in keys:
        if any(key not in ds.metainfo for ds in data_samples):
            raise TeacherCacheError(
                f'teacher cache: the data samples have no {key!r}: add '
                f"'sample_idx' and 'view_idx' to meta_keys of the packing "
                'transform (PackSegInputs)')
    return ([int(ds.metainfo['sample_idx']) for ds in data_samples],
            [int(ds.metainfo['view_idx']) for ds in data_samples])


def build_teacher_cache(distiller,
                        dataset,
                        dataset_cfg: Mapping,
                        out_dir: str,
                        batch_size: int = 8,
                        num_workers: int = 0,
                        overwrite: bool = False,
                        progress: bool = True,
                        info: Optional[Mapping] = None) -> dict:
    """Run the teacher on every view of every training image and store its
    recorded outputs.

    Args:
        distiller (SingleTeacherDistiller): A live distiller (no cache)
            with its teacher checkpoint loaded.
        dataset: The train dataset (its pipeline holds ``ViewAugment``).
        dataset_cfg (Mapping): The train dataset config (for the pipeline
            fingerprint).
        out_dir (str): The cache folder to create.
        batch_size (int): Views per teacher forward. Defaults to 8.
        num_workers (int): DataLoader workers. Defaults to 0.
        overwrite (bool): Replace an existing cache. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.
        info (Mapping, optional): Extra build details for ``meta.json``.

    Returns:
        dict: The meta data written (``build.seconds`` is the build time).
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar

    start = time.perf_counter()
    fingerprint = dict(distiller.teacher_fingerprint())
    fingerprint.update(dataset_fingerprint(dataset_cfg, dataset))
    base = _base_dataset(dataset)
    num_views = int(fingerprint['num_views'])
    views = _ViewDataset(base, num_views)
    loader = torch.utils.data.DataLoader(views,
                                         batch_size=batch_size,
                                         shuffle=False,
                                         num_workers=num_workers,
                                         collate_fn=pseudo_collate)
    writer = TeacherCacheWriter(out_dir, len(base), num_views, overwrite)
    bar = ProgressBar(len(views)) if progress else None
    distiller.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                data = distiller.data_preprocessor(batch, True)
                outputs = distiller.record_teacher(data['inputs'],
                                                   data['data_samples'])
                writer.write(outputs, *_batch_indices(data['data_samples']))
                if bar is not None:
                    for _ in data['data_samples']:
                        bar.update()
        details = dict(info or {})
        details.update(
            seconds=round(time.perf_counter() - start, 1),
            created=datetime.datetime.now(
                datetime.timezone.utc).isoformat(timespec='seconds'))
        return writer.close(fingerprint, distiller.teacher_recorder_sources,
                            details)
    except BaseException:
        writer.abort()
        raise


def cache_size_bytes(path: str) -> int:
    """Bytes of the ``.npy`` files of a cache folder."""
    return sum(
        osp.getsize(osp.join(path, f)) for f in os.listdir(path)
        if f.endswith('.npy'))
