# Copyright (c) medproto contributors. All rights reserved.
"""File-system helpers shared by the image/mask folder datasets.

Images and masks are paired by file *stem* (the name without its extension),
never by listing order, so ``images/12.jpg`` always meets ``masks/12.png``
whatever order the operating system lists the two folders in.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

SuffixSpec = Union[str, Sequence[str]]

#: How many offending names an error message lists before it says "...".
MAX_NAMES_IN_ERROR = 5


def normalize_suffixes(suffix: SuffixSpec, key: str) -> Tuple[str, ...]:
    """Turn a suffix setting into a tuple of lower-case suffixes.

    Args:
        suffix (str | Sequence[str]): One suffix such as ``'.jpg'`` or several
            such as ``('.jpg', '.png')``.
        key (str): Name of the setting, used in error messages.

    Returns:
        tuple[str, ...]: The suffixes, lower-cased, in the given order.
    """
    suffixes = (suffix, ) if isinstance(suffix, str) else tuple(suffix)
    if not suffixes or not all(isinstance(s, str) and s for s in suffixes):
        raise ValueError(f'`{key}` must be a non-empty string or a sequence '
                         f'of non-empty strings, got {suffix!r}')
    return tuple(s.lower() for s in suffixes)


def natural_key(name: str) -> List[Union[int, str]]:
    """Sort key that orders ``'2'`` before ``'10'``.

    Args:
        name (str): A file stem.

    Returns:
        list: Alternating text and integer chunks of ``name``.
    """
    return [int(c) if c.isdigit() else c for c in re.split(r'(\d+)', name)]


def format_names(names: Sequence[str]) -> str:
    """Join at most :data:`MAX_NAMES_IN_ERROR` names for an error message.

    Args:
        names (Sequence[str]): File names or stems.

    Returns:
        str: The first names, comma separated, and how many were left out.
    """
    shown = ', '.join(names[:MAX_NAMES_IN_ERROR])
    extra = len(names) - MAX_NAMES_IN_ERROR
    return shown + (f', ... ({extra} more)' if extra > 0 else '')


def check_folder(path: Optional[str], key: str) -> str:
    """Check that a configured folder exists.

    Args:
        path (str, optional): The folder, already joined with ``data_root``.
        key (str): The config key that names the folder, for the message,
            e.g. ``"data_prefix['img_path']"``.

    Returns:
        str: ``path`` unchanged.

    Raises:
        FileNotFoundError: If ``path`` is empty or not a directory.
    """
    if not path:
        raise FileNotFoundError(f'`{key}` is not set: expected a folder')
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'folder {path!r} given by `{key}` does not exist')
    return path


def list_files_by_stem(folder: str, suffixes: Tuple[str, ...],
                       key: str) -> Dict[str, str]:
    """Map every file stem in ``folder`` to its path.

    Only files directly inside ``folder`` whose name ends (case-insensitively)
    with one of ``suffixes`` are kept.

    Args:
        folder (str): An existing folder.
        suffixes (tuple[str, ...]): Accepted suffixes, lower-case.
        key (str): The config key that names the folder, for messages.

    Returns:
        dict[str, str]: ``{stem: path}``.

    Raises:
        FileNotFoundError: If no file in ``folder`` has an accepted suffix.
        ValueError: If two files share a stem (e.g. ``a.jpg`` and ``a.png``).
    """
    files: Dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        lower = name.lower()
        suffix = next((s for s in suffixes if lower.endswith(s)), None)
        if suffix is None or not osp.isfile(path):
            continue
        stem = name[:-len(suffix)]
        if stem in files:
            raise ValueError(
                f'files {files[stem]!r} and {path!r} in `{key}` share the '
                f'name {stem!r}; keep one, or narrow the suffix setting')
        files[stem] = path
    if not files:
        raise FileNotFoundError(
            f'folder {folder!r} given by `{key}` holds no file ending with '
            f'{" or ".join(suffixes)}')
    return files


def pair_by_stem(images: Dict[str, str], masks: Dict[str, str],
                 img_key: str, mask_key: str) -> List[Tuple[str, str, str]]:
    """Pair images and masks by stem, refusing orphans on either side.

    Args:
        images (dict[str, str]): ``{stem: image path}``.
        masks (dict[str, str]): ``{stem: mask path}``.
        img_key (str): Config key of the image folder, for messages.
        mask_key (str): Config key of the mask folder, for messages.

    Returns:
        list[tuple[str, str, str]]: ``(stem, image path, mask path)`` in
        natural stem order.

    Raises:
        FileNotFoundError: If an image has no mask or a mask has no image.
    """
    no_mask = sorted((images[s] for s in images.keys() - masks.keys()),
                     key=natural_key)
    no_image = sorted((masks[s] for s in masks.keys() - images.keys()),
                      key=natural_key)
    if no_mask:
        raise FileNotFoundError(
            f'{len(no_mask)} image(s) in `{img_key}` have no mask with the '
            f'same name in `{mask_key}`: {format_names(no_mask)}')
    if no_image:
        raise FileNotFoundError(
            f'{len(no_image)} mask(s) in `{mask_key}` have no image with the '
            f'same name in `{img_key}`: {format_names(no_image)}')
    return [(s, images[s], masks[s]) for s in sorted(images, key=natural_key)]


def read_split_file(path: str) -> List[str]:
    """Read a split file: one stem per line, blank lines and ``#`` ignored.

    Args:
        path (str): The split file.

    Returns:
        list[str]: The stems in file order.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: If the file lists no stem or repeats one.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path!r} (`ann_file`) not found')
    with open(path, encoding='utf-8') as f:
        stems = [line.strip() for line in f]
    stems = [s for s in stems if s and not s.startswith('#')]
    if not stems:
        raise ValueError(f'split file {path!r} (`ann_file`) lists no sample')
    seen = set()
    repeated = [s for s in stems if s in seen or seen.add(s)]
    if repeated:
        raise ValueError(f'split file {path!r} repeats: '
                         f'{format_names(repeated)}')
    return stems


def seeded_split(stems: Sequence[str], split: str, val_ratio: float,
                 seed: int) -> List[str]:
    """Deterministic train/val split of a set of stems.

    The stems are sorted first, so the result depends only on the set of
    stems, ``val_ratio`` and ``seed`` -- not on listing order. The two parts
    are disjoint and together cover every stem.

    Args:
        stems (Sequence[str]): All stems.
        split (str): ``'train'``, ``'val'`` or ``'all'``.
        val_ratio (float): Fraction of stems in ``'val'``, in ``[0, 1)``.
        seed (int): Seed of the permutation.

    Returns:
        list[str]: The stems of the requested part, in natural order.
    """
    if split not in ('train', 'val', 'all'):
        raise ValueError(
            f"`split` must be 'train', 'val' or 'all', got {split!r}")
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f'`val_ratio` must be in [0, 1), got {val_ratio}')
    ordered = sorted(stems, key=natural_key)
    if split == 'all':
        return ordered
    perm = np.random.default_rng(seed).permutation(len(ordered))
    num_val = int(round(len(ordered) * val_ratio))
    chosen = perm[:num_val] if split == 'val' else perm[num_val:]
    return [ordered[i] for i in sorted(chosen)]
