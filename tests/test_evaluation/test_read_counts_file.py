# Copyright (c) medproto contributors. All rights reserved.
"""read_counts_file reads back what BinarySegMetric's counts_file writes,
sorted by image, and refuses other files in one line."""
import numpy as np
import pytest

from medproto.evaluation.functional import read_counts_file
from medproto.evaluation.metrics.binary_seg_metric import _write_counts
from medproto.utils.cli import ConfigError


def test_round_trip_sorted_by_image(tmp_path):
    rows = [(5, 1, 2, 90, '/data/val/b.png'),
            (0, 0, 0, 100, '/data/val/a.png'),
            (7, 3, 0, 88, '/data/val/c.png')]
    path = str(tmp_path / 'counts.csv')
    _write_counts(path, rows)
    names, counts = read_counts_file(path)
    assert names == ['a.png', 'b.png', 'c.png']
    np.testing.assert_array_equal(
        counts, [[0, 0, 0, 100], [5, 1, 2, 90], [7, 3, 0, 88]])
    assert counts.dtype == np.int64


@pytest.mark.parametrize('text, match', [
    ('path,a,b\nx.png,1,2\n', 'not a counts file'),
    ('img_path,TP,FP,FN,TN\nx.png,1,2,three,4\n', 'four integer counts'),
    ('img_path,TP,FP,FN,TN\nx.png,1,2,3\n', 'four integer counts'),
])
def test_other_files_are_one_clear_error(tmp_path, text, match):
    path = tmp_path / 'bad.csv'
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        read_counts_file(str(path))
    with pytest.raises(ConfigError, match='not found'):
        read_counts_file(str(tmp_path / 'missing.csv'))
