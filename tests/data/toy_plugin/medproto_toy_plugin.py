# Copyright (c) medproto contributors. All rights reserved.
"""A tiny model, dataset and metric registered in mmengine's root registries.

Tests of the command-line tools (``tools/ablation.py``) write configs that
name these parts with ``custom_imports=dict(imports=['medproto_toy_plugin'])``
and put this folder on ``PYTHONPATH``, so a full train + test cycle takes a
second once the packages are imported.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, METRICS, MODELS
from torch import nn
from torch.utils.data import Dataset


@DATASETS.register_module()
class ToyRegressionDataset(Dataset):
    """``num_samples`` random 4-vectors whose target is their sum.

    Args:
        num_samples (int): Dataset length. Defaults to 8.
    """

    def __init__(self, num_samples: int = 8) -> None:
        generator = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(num_samples, 4, generator=generator)
        self.targets = self.inputs.sum(dim=1, keepdim=True)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> dict:
        return dict(
            inputs=self.inputs[index], data_samples=self.targets[index])


@MODELS.register_module()
class ToyRegressor(BaseModel):
    """A linear layer trained with the squared error.

    Inputs of any shape with 4 values per sample are flattened, so the
    efficiency tools can feed it ``(N, 1, 2, 2)`` images.

    Args:
        fail (bool): Raise in the training step, to simulate a broken run.
            Defaults to False.
    """

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)
        self.fail = fail

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[torch.Tensor] = None,
                mode: str = 'tensor'):
        inputs = torch.stack(list(inputs)) if isinstance(inputs, list) \
            else inputs
        preds = self.fc(inputs.flatten(1))
        if mode == 'loss':
            if self.fail:
                raise RuntimeError('ToyRegressor was asked to fail')
            targets = torch.stack(list(data_samples))
            return dict(loss=((preds - targets)**2).mean())
        if mode == 'predict':
            targets = torch.stack(list(data_samples))
            return list(zip(preds.detach(), targets))
        return preds


@METRICS.register_module()
class ToyErrorMetric(BaseMetric):
    """Mean absolute error (``mae``) and mean prediction (``mean_pred``)."""

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        for pred, target in data_samples:
            self.results.append((float(pred), float(target)))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        errors = [abs(p - t) for p, t in results]
        return dict(
            mae=sum(errors) / len(errors),
            mean_pred=sum(p for p, _ in results) / len(results))
