# Copyright (c) medproto contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

import medproto  # noqa: F401
from medproto.engine.hooks import FreezeUnfreezeHook


class ToyModel(BaseModel):
    """backbone (conv + BN + a 'fusions' conv) and a linear head; records
    which parameters got a gradient and the BN mode at every train step."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential()
        self.backbone.add_module('conv', nn.Conv2d(3, 4, 3, padding=1))
        self.backbone.add_module('bn', nn.BatchNorm2d(4))
        self.backbone.add_module('fusions', nn.Conv2d(4, 4, 1))
        self.head = nn.Linear(4, 2)
        self.records = []

    def forward(self, inputs, labels=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        logits = self.head(self.backbone(x).mean((2, 3)))
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(logits, labels))
        return logits

    def train_step(self, data, optim_wrapper):
        losses = self(**data, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.backward(parsed)
        self.records.append(dict(
            grads={n: p.grad is not None for n, p in self.named_parameters()},
            bn_training=self.backbone.bn.training))
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        return log_vars


class ToyData(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(3, 8, 8, generator=g) + i % 2,
                    labels=torch.tensor(i % 2))


def _runner(tmp_path, model, hook, **train_cfg):
    return Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=ToyData(), batch_size=4,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(
            optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.1),
            constructor='medproto.PathParamwiseOptimWrapperConstructor',
            paramwise_cfg=dict(lr_mults=[('backbone', 1.0)])),
        train_cfg=train_cfg,
        custom_hooks=[hook],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmengine')


def test_iteration_mode_switches_at_the_right_iteration(tmp_path):
    torch.manual_seed(0)
    model = ToyModel()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    bn_mean = model.backbone.bn.running_mean.clone()
    hook = FreezeUnfreezeHook(
        modules=['backbone'], exclude=['backbone.fusions'], freeze_for=3,
        by_epoch=False)
    runner = _runner(tmp_path, model, hook, by_epoch=False, max_iters=5)
    after = {}

    class Probe(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter == 2:  # the last frozen iteration
                after['conv'] = model.backbone.conv.weight.detach().clone()
                after['bn_mean'] = model.backbone.bn.running_mean.clone()

    runner.register_hook(Probe())
    try:
        runner.train()
    finally:  # do not leave 'mmengine' as the default scope for others
        DefaultScope._instance_dict.pop(runner.experiment_name, None)
    recs = model.records
    assert len(recs) == 5
    for i, rec in enumerate(recs):
        frozen = i < 3
        assert rec['grads']['backbone.conv.weight'] is not frozen, i
        assert rec['grads']['backbone.bn.weight'] is not frozen, i
        assert rec['bn_training'] is not frozen, i
        assert rec['grads']['head.weight'] and rec['grads'][
            'backbone.fusions.weight'], i
    # frozen: untouched weights (no decay either) and BN statistics
    assert torch.equal(after['conv'], start['backbone.conv.weight'])
    assert torch.equal(after['bn_mean'], bn_mean)
    # unfrozen params were in the optimizer from the start and now move
    assert not torch.equal(model.backbone.conv.weight,
                           start['backbone.conv.weight'])
    assert not torch.equal(model.backbone.bn.running_mean, bn_mean)
    assert all(p.requires_grad for p in model.parameters())


def _mock_runner(model, epoch=0, it=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=it)


def test_epoch_mode_reapplies_after_model_train_and_resumes():
    model = ToyModel()
    hook = FreezeUnfreezeHook(modules=['backbone'], freeze_for=2)
    runner = _mock_runner(model)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    model.train()  # what EpochBasedTrainLoop does after before_train_epoch
    assert model.backbone.bn.training
    hook.before_train_iter(runner, 0)
    assert not model.backbone.bn.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    runner.epoch = 2
    hook.before_train_epoch(runner)
    hook.before_train_iter(runner, 0)
    assert model.backbone.bn.training
    assert all(p.requires_grad for p in model.parameters())
    # resume at epoch 1 with a fresh model and hook: frozen again
    model2 = ToyModel()
    hook2 = FreezeUnfreezeHook(modules=['backbone'], freeze_for=2)
    hook2.before_train(_mock_runner(model2, epoch=1))
    assert not any(p.requires_grad for p in model2.backbone.parameters())


def test_does_not_unfreeze_what_it_did_not_freeze():
    model = ToyModel()
    model.backbone.conv.bias.requires_grad_(False)
    hook = FreezeUnfreezeHook(modules=['backbone'], freeze_for=1,
                              by_epoch=False)
    runner = _mock_runner(model)
    hook.before_train(runner)
    runner.iter = 1
    hook.before_train_iter(runner, 1)
    assert model.backbone.conv.weight.requires_grad
    assert not model.backbone.conv.bias.requires_grad


def test_ddp_needs_find_unused_parameters():
    model = ToyModel()
    ddp = DistributedDataParallel.__new__(DistributedDataParallel)
    nn.Module.__init__(ddp)
    ddp.module = model
    ddp.find_unused_parameters = False
    hook = FreezeUnfreezeHook(modules=['backbone'])
    with pytest.raises(ValueError, match='find_unused_parameters=True'):
        hook.before_train(_mock_runner(ddp))
    ddp.find_unused_parameters = True
    hook.before_train(_mock_runner(ddp))  # unwraps .module
    assert not model.backbone.conv.weight.requires_grad


def test_validation():
    with pytest.raises(ValueError, match='match no parameter'):
        FreezeUnfreezeHook(modules=['neck']).before_train(
            _mock_runner(ToyModel()))
    with pytest.raises(ValueError, match='freeze_for'):
        FreezeUnfreezeHook(freeze_for=-1)
    with pytest.raises(ValueError, match='modules must be'):
        FreezeUnfreezeHook(modules='backbone')
