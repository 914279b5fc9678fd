# Copyright (c) medproto contributors. All rights reserved.
"""Fixtures that write tiny image / mask files for the dataset tests."""
import zlib
from pathlib import Path
from typing import Callable, Optional, Tuple

import cv2
import numpy as np
import pytest

import medproto  # noqa: F401  (registers the datasets; before mmseg)
from mmengine.registry import DefaultScope

SAMPLE_DATA = Path(__file__).resolve().parents[1] / 'data'


@pytest.fixture
def mmseg_scope():
    """Run a test under ``default_scope='mmseg'``, as a seg config does, so
    that mmseg datasets build their pipelines from mmseg's registry."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


@pytest.fixture
def sample_data() -> Path:
    """The small real sample shipped in ``tests/data``."""
    return SAMPLE_DATA


def _square_mask(size: Tuple[int, int], value: int = 255) -> np.ndarray:
    """A background mask with a foreground square in its middle."""
    h, w = size
    mask = np.zeros((h, w), np.uint8)
    mask[h // 4:3 * h // 4, w // 4:3 * w // 4] = value
    return mask


@pytest.fixture
def write_image() -> Callable[..., Path]:
    """Write an image file (format from the suffix) and return its path."""

    def write(path: Path, array: np.ndarray) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), array), path
        return path

    return write


@pytest.fixture
def make_pair(write_image) -> Callable[..., Tuple[Path, Path]]:
    """Write ``images/<stem><img_suffix>`` and ``masks/<stem><mask_suffix>``
    under a root: a random RGB image and a square 0/255 mask."""

    def make(root: Path,
             stem: str,
             img_suffix: str = '.png',
             mask_suffix: str = '.png',
             size: Tuple[int, int] = (24, 32),
             mask_size: Optional[Tuple[int, int]] = None,
             img_dir: str = 'images',
             mask_dir: str = 'masks') -> Tuple[Path, Path]:
        rng = np.random.default_rng(zlib.crc32(stem.encode()))
        img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        mask = _square_mask(mask_size or size)
        return (write_image(root / img_dir / f'{stem}{img_suffix}', img),
                write_image(root / mask_dir / f'{stem}{mask_suffix}', mask))

    return make
