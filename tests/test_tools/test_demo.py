# Copyright (c) medproto contributors. All rights reserved.
"""tools/run_demo.sh as a newcomer runs it (issue 18): it finishes, its
console stays under 200 lines, it says what its numbers mean and draws the
pictures."""
import glob
import os
import os.path as osp
import subprocess

import pytest

pytestmark = pytest.mark.e2e

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_the_demo_is_short_and_explains_itself(tmp_path):
    work = tmp_path / 'demo'
    env = dict(os.environ, WORK_DIR=str(work), OMP_NUM_THREADS='1',
               PYTHONUNBUFFERED='1', MEDPROTO_DEBUG='')
    out = subprocess.run(['bash', osp.join(ROOT, 'tools', 'run_demo.sh')],
                         cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = (out.stdout + out.stderr).splitlines()
    assert len(lines) < 200, '\n'.join(lines)
    assert 'Traceback' not in out.stderr
    text = out.stdout
    for heading in ('== 1/3 teacher', '== 2/3 student', '== 3/3 evaluate',
                    'What these numbers mean'):
        assert heading in text
    assert text.count('done: ') == 3  # a summary per run
    assert len(glob.glob(str(work / 'vis' / 'vis_data' / 'vis_image' /
                             '*.png'))) == 6
