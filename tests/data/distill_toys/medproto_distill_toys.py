# Copyright (c) medproto contributors. All rights reserved.
"""Tiny students, teachers, a probe loss and data batches for the tests of
the distiller, the curriculum hook and the export tool.

Tests put this folder on ``sys.path`` and import the module; importing it
registers the parts (``TestProbeLoss``, ``TestMeanWeighting`` in medproto's
registry, ``TestTinySegBackbone`` in mmseg's).
"""
from contextlib import contextmanager
from typing import Iterator

import medproto  # noqa: F401  (before mmseg: installs the compat layer)
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.structures import SegDataSample
from torch import nn
from torch.utils.data import Dataset

from medproto.registry import MODELS


@MODELS.register_module(name='TestProbeLoss', force=True)
class ProbeLoss(nn.Module):
    """Keeps its inputs and returns ``loss_weight * sum_i mean(x_i)`` over
    the floating-point tensors; has a buffer (like CRD's banks)."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.register_buffer('bank', torch.arange(3.0))
        self.calls = 0
        self.seen = {}

    def forward(self, **inputs):
        self.calls += 1
        self.seen = inputs
        total = 0.0
        for value in inputs.values():
            for t in value if isinstance(value, list) else [value]:
                if t.is_floating_point():
                    total = total + t.float().mean()
        return self.loss_weight * total


@MODELS.register_module(name='TestMeanWeighting', force=True)
class MeanWeighting(nn.Module):
    """A learnable weighting returning ``scale * mean`` and a log dict."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, losses):
        total = self.scale * sum(losses.values()) / len(losses)
        return total, dict(scale=self.scale.detach(), loss_count=len(losses))


@SEG_MODELS.register_module(name='TestTinySegBackbone', force=True)
class TinySegBackbone(nn.Module):
    """conv (stride 1) -> conv (stride 2); returns both maps."""

    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.down = nn.Sequential(nn.Conv2d(width, width, 3, 2, 1),
                                  nn.BatchNorm2d(width), nn.ReLU())

    def forward(self, x):
        x1 = self.stem(x)
        return x1, self.down(x1)


def cls_model(width: int = 4, num_classes: int = 5) -> dict:
    """A CIFAR ResNet-8 classifier with tiny widths."""
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CifarResNet',
                      arch=dict(depth=8, widths=[width, width, width,
                                                 2 * width])),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=2 * width,
                  loss=dict(type='CrossEntropyLoss')))


def seg_model(width: int = 4) -> dict:
    """An EncoderDecoder with a tiny backbone and a binary FCN head."""
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0],
                               std=[255, 255, 255], size_divisor=4),
        backbone=dict(type='TestTinySegBackbone', width=width),
        decode_head=dict(type='FCNHead', in_channels=width, channels=4,
                         in_index=1, num_convs=1, concat_input=False,
                         num_classes=2, norm_cfg=dict(type='BN'),
                         loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


CLS_PREPROCESSOR = dict(num_classes=5, mean=[0, 0, 0], std=[255, 255, 255])


@contextmanager
def default_scope(name: str) -> Iterator[str]:
    """Build under ``default_scope=name``, then restore the previous one."""
    with DefaultScope.overwrite_default_scope(name):
        yield name


def cls_batch(num: int = 4, size: int = 8, seed: int = 0) -> dict:
    """Raw data batch for a classifier: uint8 images + labelled samples."""
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (3, size, size), generator=g,
                              dtype=torch.uint8) for _ in range(num)],
        data_samples=[DataSample(metainfo=dict(sample_idx=10 + i))
                      .set_gt_label(i % 5) for i in range(num)])


def seg_batch(num: int = 2, size: int = 8, seed: int = 0) -> dict:
    """Raw data batch for a segmentor with binary masks."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(num):
        sample = SegDataSample(metainfo=dict(
            sample_idx=i, img_shape=(size, size), ori_shape=(size, size),
            pad_shape=(size, size)))
        mask = torch.randint(0, 2, (1, size, size), generator=g)
        sample.gt_sem_seg = PixelData(data=mask)
        samples.append(sample)
    return dict(
        inputs=[torch.randint(0, 256, (3, size, size), generator=g,
                              dtype=torch.uint8) for _ in range(num)],
        data_samples=samples)


class TinyClsDataset(Dataset):
    """``num`` random 8x8 uint8 images with labels ``i % 5``, as packed
    samples (``inputs``, ``data_samples`` with ``sample_idx``)."""

    def __init__(self, num: int = 8, size: int = 8) -> None:
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 256, (num, 3, size, size),
                                    generator=g, dtype=torch.uint8)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        sample = DataSample(metainfo=dict(sample_idx=index))
        return dict(inputs=self.images[index],
                    data_samples=sample.set_gt_label(index % 5))
