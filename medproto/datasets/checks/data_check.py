# Copyright (c) medproto contributors. All rights reserved.
"""Check every file a run's dataloaders list before training starts.

A corrupt validation image would otherwise stop a run at its first
validation, after checkpoints were written; these checks read every
image's header (and, for masks, the pixels), so a run with bad data fails
in its first seconds with one line naming the file.
"""
import copy
import os.path as osp
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np
from PIL import Image

__all__ = ['DataError', 'check_image_file', 'check_mask_file',
           'check_config_data', 'check_num_classes']


class DataError(ValueError):
    """A problem with a data file, said in one line that names it."""


def check_image_file(path: str) -> tuple:
    """Read an image's header and check that the file is complete.

    PNG chunks are verified with their CRCs up to ``IEND``; a JPEG must end
    with its end-of-image marker.

    Args:
        path (str): The image file.

    Returns:
        tuple[int, int]: (width, height).

    Raises:
        DataError: For a missing, unreadable, corrupt or truncated file.
    """
    if not osp.isfile(path):
        raise DataError(f'{path}: file not found')
    try:
        with Image.open(path) as img:
            size, fmt = img.size, img.format
            img.verify()
    except Exception as err:  # noqa: BLE001 - PIL raises many kinds
        reason = f'{type(err).__name__}: {_first_line(err)}'
        raise DataError(f'{path}: not a readable image ({reason})') from None
    if fmt == 'JPEG' and not _jpeg_complete(path):
        raise DataError(f'{path}: truncated JPEG (no end-of-image marker)')
    return size


def check_mask_file(path: str, image_size: Optional[tuple] = None,
                    threshold: int = 128) -> None:
    """Check a binary mask: readable, the size of its image, two levels
    that :class:`~medproto.datasets.transforms.LoadBinaryMask` separates.

    Args:
        path (str): The mask file.
        image_size (tuple, optional): (width, height) of its image.
        threshold (int): The foreground threshold the pipeline applies.

    Raises:
        DataError: Naming the mask (and its image size when they differ).
    """
    size = check_image_file(path)
    if image_size is not None and tuple(size) != tuple(image_size):
        raise DataError(f'{path}: mask is {size[0]}x{size[1]} (WxH) but its '
                        f'image is {image_size[0]}x{image_size[1]}')
    from medproto.datasets.transforms.load_binary_mask import LoadBinaryMask
    try:
        with Image.open(path) as img:
            raw = np.asarray(img)
        loader = LoadBinaryMask(threshold=threshold)
        loader._binarize(loader._to_gray8(raw, path), threshold, path)
    except DataError:
        raise
    except Exception as err:  # noqa: BLE001
        raise DataError(f'{path}: {_first_line(err)}') from None


def check_num_classes(cfg: Mapping, dataset: Any, key: str) -> None:
    """Compare the model's ``num_classes`` with the dataset's classes
    (classification configs; a segmentation head's count is not the
    dataset's class list).

    Raises:
        DataError: Naming both numbers and the config keys.
    """
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if not classes or cfg.get('default_scope') != 'mmpretrain':
        return
    for path, value in _num_classes_keys(cfg.get('model') or {}, 'model'):
        if '.teacher' in path or 'data_preprocessor' in path:
            continue
        if isinstance(value, int) and value != len(classes):
            raise DataError(
                f'{path}={value} but the data of {key} has {len(classes)} '
                f'classes ({", ".join(map(str, list(classes)[:10]))}'
                f'{", ..." if len(classes) > 10 else ""}): make them agree')


def check_config_data(cfg: Mapping, loaders: Sequence[str],
                      progress: bool = True) -> int:
    """Build the datasets of ``loaders`` and check every file they list.

    Args:
        cfg (Mapping): The config (``default_scope`` set).
        loaders (Sequence[str]): Dataloader keys, e.g. ``train_dataloader``.
        progress (bool): Print a one-line progress count on stderr.

    Returns:
        int: The number of files checked.

    Raises:
        DataError: For the first bad file, naming it.
    """
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    seen: Dict[str, tuple] = {}
    checked = 0
    for loader in loaders:
        dl_cfg = cfg.get(loader)
        if not dl_cfg or 'dataset' not in dl_cfg:
            continue
        dataset = DATASETS.build(copy.deepcopy(dl_cfg['dataset']))
        check_num_classes(cfg, dataset, loader)
        infos = list(_data_infos(dataset))
        for i, info in enumerate(infos):
            checked += _check_sample(info, seen)
            if progress and (i + 1 == len(infos) or (i + 1) % 200 == 0):
                print(f'\rchecking {loader} files: {i + 1}/{len(infos)}',
                      end='\n' if i + 1 == len(infos) else '',
                      file=sys.stderr, flush=True)
    return checked


def _check_sample(info: Mapping, seen: Dict[str, tuple]) -> int:
    """Check the image (and mask) of one data info; returns files read."""
    img_path = info.get('img_path')
    count = 0
    if isinstance(img_path, str):
        if img_path not in seen:
            seen[img_path] = check_image_file(img_path)
            count += 1
    mask_path = info.get('seg_map_path')
    if isinstance(mask_path, str) and mask_path not in seen:
        size = seen.get(img_path) if isinstance(img_path, str) else None
        check_mask_file(mask_path, size,
                        int(info.get('mask_threshold') or 128))
        seen[mask_path] = ()
        count += 1
    return count


def _data_infos(dataset: Any) -> Iterable[Mapping]:
    """Every data info of a dataset (wrappers unpacked, repeats once)."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        for sub in inner:
            yield from _data_infos(sub)
        return
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'get_data_info'):
        yield from _data_infos(dataset.dataset)
        return
    if hasattr(dataset, 'times') and hasattr(dataset, 'dataset'):
        yield from _data_infos(dataset.dataset)  # RepeatDataset
        return
    if hasattr(dataset, 'get_data_info'):
        for i in range(len(dataset)):
            yield dataset.get_data_info(i)


def _num_classes_keys(node: Any, path: str) -> List[tuple]:
    found = []
    if isinstance(node, Mapping):
        for k, v in node.items():
            sub = f'{path}.{k}'
            if k == 'num_classes':
                found.append((sub, v))
            else:
                found += _num_classes_keys(v, sub)
    return found


def _jpeg_complete(path: str) -> bool:
    """Whether the last bytes of a JPEG hold the EOI marker (``FFD9``;
    some writers pad after it)."""
    with open(path, 'rb') as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 64))
        tail = f.read()
    return b'\xff\xd9' in tail


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
