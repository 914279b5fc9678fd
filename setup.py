# Copyright (c) medproto contributors. All rights reserved.
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    with open(osp.join(HERE, 'requirements', name)) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def read_version():
    scope = {}
    with open(osp.join(HERE, 'medproto', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


MIM_DIR = osp.join(HERE, 'medproto', '.mim')
# What builds an installed (non-editable) package: a wheel, or an sdist
# that pip turns into one.
BUILD_COMMANDS = ('bdist_wheel', 'sdist', 'build', 'build_py', 'install')


def add_mim_extension():
    """Copy configs/ into medproto/.mim/configs for a wheel or an sdist, so
    that an installed medproto ships its configs and a user config inherits
    them as ``'medproto::<path>'`` (mmseg's layout). An editable install
    (``pip install -e .``) copies nothing: the package then reads the
    checkout's configs/ (``medproto.utils.paths.shipped_config_dir``).

    Returns:
        tuple: The package data files (relative to medproto/) and whether
        they were copied now (then removed again after ``setup``).
    """
    target = osp.join(MIM_DIR, 'configs')
    source = osp.join(HERE, 'configs')
    copied = False
    if (any(command in sys.argv for command in BUILD_COMMANDS)
            and osp.isdir(source)):  # an unpacked sdist has only the copy
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(source, target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        copied = True
    files = sorted(
        osp.relpath(osp.join(folder, name), osp.join(HERE, 'medproto'))
        for folder, _, names in os.walk(target) for name in names)
    return files, copied


def remove_mim_extension():
    """Remove the copy again: in a checkout, configs/ stays the only source
    of the configs (a stale copy would shadow it)."""
    if osp.isdir(MIM_DIR):
        shutil.rmtree(MIM_DIR)


mim_files, mim_copied = add_mim_extension()
setup(
    name='medproto',
    version=read_version(),
    description='Medical image classification and segmentation with '
    'knowledge distillation, as an OpenMMLab plugin',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'onnx': ['onnx', 'onnxruntime'],
    },
    include_package_data=True,
    package_data={'medproto': mim_files},
    license='Apache-2.0',
    zip_safe=False,
)
if mim_copied:
    remove_mim_extension()
