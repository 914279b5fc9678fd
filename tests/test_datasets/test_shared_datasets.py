# Copyright (c) medproto contributors. All rights reserved.
"""Optional checks on the full real datasets; skipped where they are absent
(set ``MEDPROTO_SHARED_DATA`` to point elsewhere)."""
import os
from pathlib import Path

import pytest

from medproto.datasets import (CVCClinicDBDataset, ImageFolderLT,
                               KvasirSEGDataset, long_tail_counts)
from medproto.datasets.transforms import LoadBinaryMask

SHARED = Path(os.environ.get('MEDPROTO_SHARED_DATA', '/work/shared/datasets'))

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f'shared datasets not found at {SHARED}')


def test_shared_datasets_load():
    kvasir = KvasirSEGDataset(data_root=str(SHARED / 'kvasir-seg/val'))
    assert len(kvasir) == 200
    load = LoadBinaryMask()
    for i in (0, 199):
        assert set(load(kvasir.get_data_info(i))['gt_seg_map'].ravel()) == {
            0, 1
        }
    cvc = CVCClinicDBDataset(data_root=str(SHARED / 'cvc-clinicdb-sample'))
    assert len(cvc) == 24
    pbc = ImageFolderLT(
        data_root=str(SHARED / 'pbc-blood-cells-128/train'),
        imbalance_factor=100)
    assert pbc.metainfo['class_counts'] == long_tail_counts(850, 8, 100)
    assert pbc.metainfo['class_counts'][-1] == 8
