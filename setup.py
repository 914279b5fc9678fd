# Copyright (c) medproto contributors. All rights reserved.
import os.path as osp

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
    extras_require={'tests': read_requirements('tests.txt')},
    include_package_data=True,
    license='Apache-2.0',
    zip_safe=False,
)
