# Copyright (c) medproto contributors. All rights reserved.
"""Training throughput of the distillation steps and of tools/train.py.

Prints, in one run on the same synthetic 256x256 batches:

* images/s of a student-only step, the KD step in each curriculum stage
  (imitation: BCE+Dice + pixel KD + skip features; preference: BCE+Dice +
  InfoNCE + L2) and their ratio to the student-only step;
* images/s of mmengine's Runner (what tools/train.py runs) against a plain
  PyTorch loop over the same model, optimizer and data.

Example::

    python tools/benchmarks/benchmark_kd_step.py --iters 20 --batch-size 8
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import medproto  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

KD_CONFIG = 'configs/maunet/maunet_kd_kvasir.py'
STUDENT_CONFIG = 'configs/maunet/maunet_kvasir.py'
STAGES = {
    'imitation': ('loss_kd', 'loss_feat'),
    'preference': ('loss_nce', 'loss_l2'),
}


def make_batch(batch_size: int, size: int, seed: int = 0) -> dict:
    """A batch in the form mmseg's data preprocessor takes."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=g,
                                    dtype=torch.uint8))
        mask = torch.zeros(1, size, size, dtype=torch.long)
        mask[:, size // 4:size // 2, size // 4:size // 2] = 1
        s = SegDataSample(gt_sem_seg=PixelData(data=mask))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size), sample_idx=i))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def images_per_s(model, batch: dict, iters: int, warmup: int = 3) -> float:
    """Images/s of forward + backward + AdamW step."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=1e-3)
    n = len(batch['inputs'])
    for i in range(warmup + iters):
        if i == warmup:
            start = time.perf_counter()
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        loss.backward()
        optim.step()
    return n * iters / (time.perf_counter() - start)


@DATASETS.register_module(force=True)
class RepeatedBatchDataset(torch.utils.data.Dataset):
    """The samples of :func:`make_batch`, repeated ``length`` times."""

    def __init__(self, batch_size: int, size: int, length: int) -> None:
        self.batch = make_batch(batch_size, size)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        j = i % len(self.batch['inputs'])
        return dict(inputs=self.batch['inputs'][j],
                    data_samples=self.batch['data_samples'][j])


def runner_images_per_s(cfg_file: str, batch_size: int, size: int,
                        iters: int, work_dir: str) -> float:
    """Images/s of mmengine's Runner on an in-memory dataset."""
    from mmengine.runner import Runner

    from medproto.utils.setup_env import prepare_cfg

    cfg = Config.fromfile(cfg_file)
    prepare_cfg(cfg)
    cfg.work_dir = work_dir
    cfg.train_dataloader = dict(
        dataset=dict(type='RepeatedBatchDataset', batch_size=batch_size,
                     size=size, length=batch_size * (iters + 3)),
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters + 3)
    cfg.optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator',
                'param_scheduler'):
        cfg.pop(key, None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**9)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**9)
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook')
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    times = []

    from mmengine.hooks import Hook

    class _Clock(Hook):

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            times.append(time.perf_counter())

    runner.register_hook(_Clock(), priority='LOWEST')
    runner.train()
    return batch_size * iters / (times[-1] - times[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/benchmark_kd_step')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    init_default_scope('mmseg')
    batch = make_batch(args.batch_size, args.size)

    student = MODELS.build(Config.fromfile(STUDENT_CONFIG).model)
    kd_cfg = Config.fromfile(KD_CONFIG).model
    kd_cfg.teacher_ckpt = None  # random teacher: speed does not depend on it
    distiller = MODELS.build(kd_cfg)

    rows = [('student only', images_per_s(student, batch, args.iters))]
    for stage, active in STAGES.items():
        distiller.loss_scales.update(
            {k: float(k in active) for k in distiller.loss_scales})
        rows.append((f'KD {stage}', images_per_s(distiller, batch,
                                                 args.iters)))
    base = rows[0][1]
    print(f'\nbatch {args.batch_size}, {args.size}x{args.size}, '
          f'{args.threads} threads, {args.iters} timed iterations')
    print(f'{"step":<22}{"images/s":>10}{"vs student":>12}')
    for name, ips in rows:
        print(f'{name:<22}{ips:>10.2f}{ips / base:>11.2f}x')

    plain = images_per_s(student, batch, args.iters)
    runner = runner_images_per_s(STUDENT_CONFIG, args.batch_size, args.size,
                                 args.iters, args.work_dir)
    print(f'\n{"loop":<22}{"images/s":>10}{"vs plain":>12}')
    print(f'{"plain PyTorch":<22}{plain:>10.2f}{1.0:>11.2f}x')
    print(f'{"mmengine Runner":<22}{runner:>10.2f}{runner / plain:>11.2f}x')


if __name__ == '__main__':
    main()
