# Copyright (c) medproto contributors. All rights reserved.
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'tests', 'data', 'configs')


def run_tool(*args: str, timeout: int = 600, expect_ok: bool = True,
             torchrun: int = 0) -> subprocess.CompletedProcess:
    """Run ``tools/<script>`` in a subprocess from the repository root."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1',
               MEDPROTO_DEBUG='')
    if torchrun:
        cmd = [sys.executable, '-m', 'torch.distributed.run',
               f'--nproc_per_node={torchrun}', '--master_port=29531',
               osp.join(ROOT, 'tools', args[0]), *args[1:]]
    else:
        cmd = [sys.executable, osp.join(ROOT, 'tools', args[0]), *args[1:]]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    if expect_ok and out.returncode != 0:
        pytest.fail(f'{" ".join(args)} failed ({out.returncode}):\n'
                    f'{out.stdout[-3000:]}\n{out.stderr[-5000:]}')
    return out


@pytest.fixture(scope='session')
def tool():
    return run_tool


@pytest.fixture(scope='session')
def configs_dir():
    return CONFIGS


@pytest.fixture(scope='session')
def cls_trained(tmp_path_factory):
    """A tiny classifier trained for 2 epochs: (config, work dir)."""
    work = tmp_path_factory.mktemp('cls')
    cfg = osp.join(CONFIGS, 'cls_tiny.py')
    run_tool('train.py', cfg, '--work-dir', str(work))
    return cfg, work
