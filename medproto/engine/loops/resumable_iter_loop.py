# Copyright (c) medproto contributors. All rights reserved.
"""Iteration-based training that resumes by index, without epoch-end sleeps,
and finishes a validation a kill interrupted."""
import copy
import logging
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.utils import calc_dynamic_intervals
from torch.utils.data import DataLoader

from medproto.datasets.samplers.resumable_infinite_sampler import \
    ResumableInfiniteSampler

#: Epoch samplers that are replaced by :class:`ResumableInfiniteSampler`.
_REPLACED = ('DefaultSampler', 'InfiniteSampler',
             'mmengine.DefaultSampler', 'mmengine.InfiniteSampler')
_NEW = 'ResumableInfiniteSampler'


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop`` with an exact, fast resume.

    * The training dataloader draws from a
      :class:`~medproto.datasets.samplers.ResumableInfiniteSampler`: a
      ``DefaultSampler`` / ``InfiniteSampler`` in the config is replaced by
      it (same ``shuffle``). The stream never ends, so there is no
      epoch-end restart (mmengine's ``_InfiniteDataloaderIterator`` sleeps
      2 s and restarts the workers at every epoch end) and workers persist.
    * A resumed run at iteration ``k`` starts the sampler at sample
      ``k * batch_size`` instead of loading and augmenting the ``k``
      skipped batches; each sample's augmentation is seeded from its
      position, so the batches are those of the uninterrupted run. Other
      samplers fall back to replaying the skipped batches.
    * A run resumed at an iteration that validates (every ``val_interval``
      and the last) validates first: the checkpoint of that iteration is
      written before its validation, so a kill during the validation --
      including the last one -- would otherwise lose it and its
      best-checkpoint bookkeeping. A best checkpoint that the resumed
      checkpoint records but that is not in this run's checkpoint folder
      (its validation was killed, or the checkpoint was copied from
      another work dir) is forgotten, so the next validation writes one
      here (and mmengine does not delete a file of another work dir).

    Exactness of the model's own random draws is
    :class:`~medproto.engine.hooks.RngStateHook`'s part.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training dataloader (config).
        max_iters (int): Total training iterations.
        val_begin (int): First iteration that validates. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): (milestone,
            interval) pairs, as mmengine's. Defaults to None.
    """

    def __init__(
            self,
            runner,
            dataloader: Union[DataLoader, Dict],
            max_iters: int,
            val_begin: int = 1,
            val_interval: int = 1000,
            dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if isinstance(max_iters, bool) or not isinstance(
                max_iters, int) or max_iters < 1:
            raise ValueError(f'train_cfg.max_iters must be an int >= 1, got '
                             f'{max_iters!r}')
        # BaseLoop, not IterBasedTrainLoop.__init__: that one starts the
        # dataloader iterator (and its workers) before a resume is known.
        BaseLoop.__init__(self, runner, self._with_resumable_sampler(
            dataloader))
        self._max_iters = max_iters
        self._max_epochs = 1
        self._epoch = 0
        self._iter = 0
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.runner.visualizer.dataset_meta = \
                self.dataloader.dataset.metainfo
        self.dataloader_iterator: Optional[Iterator] = None
        self.dynamic_milestones, self.dynamic_intervals = \
            calc_dynamic_intervals(self.val_interval, dynamic_intervals)

    @staticmethod
    def _with_resumable_sampler(
            dataloader: Union[DataLoader, Dict]) -> Union[DataLoader, Dict]:
        """The dataloader config with its epoch sampler replaced."""
        if not isinstance(dataloader, dict):
            return dataloader
        sampler = dataloader.get('sampler')
        if isinstance(sampler, dict) and sampler.get('type') in _REPLACED:
            dataloader = copy.deepcopy(dataloader)
            dataloader['sampler'] = dict(
                type=_NEW, shuffle=sampler.get('shuffle', True),
                **({'seed': sampler['seed']} if 'seed' in sampler else {}))
        return dataloader

    @property
    def sampler(self):
        """The training sampler."""
        sampler = getattr(self.dataloader, 'sampler', None)
        batch_sampler = getattr(self.dataloader, 'batch_sampler', None)
        if not isinstance(sampler, ResumableInfiniteSampler) and \
                batch_sampler is not None:
            sampler = getattr(batch_sampler, 'sampler', sampler)
        return sampler

    def run(self) -> None:
        """Launch (or resume) training."""
        if self._iter > 0:
            self._check_best_record()
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self.dataloader_iterator = self._start_iterator()
        if self._iter > 0 and self._validates(self._iter):
            print_log(f'resumed at iteration {self._iter}: running its '
                      'validation first', logger='current')
            self.runner.val_loop.run()
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if self._validates(self._iter):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def _check_best_record(self) -> None:
        """Keep a resumed ``best_ckpt`` record only where its file is in
        this run's checkpoint folder (pointed at that file); forget it and
        its score otherwise."""
        info = self.runner.message_hub.runtime_info
        folder = self._checkpoint_folder()
        for key in [k for k in info if k.startswith('best_ckpt')]:
            recorded = str(info[key])
            here = osp.join(folder, osp.basename(recorded))
            if osp.isfile(here):
                info[key] = here
                continue
            info.pop(key)
            info.pop('best_score' + key[len('best_ckpt'):], None)
            print_log(f'the best checkpoint {recorded} recorded at iteration '
                      f'{self._iter} is not in {folder}: the next validation '
                      f'writes one there', logger='current')

    def _checkpoint_folder(self) -> str:
        """Where the ``CheckpointHook`` saves (as its ``before_train``
        sets it: ``out_dir`` joined with the work dir's name, or the work
        dir)."""
        work_dir = self.runner.work_dir
        for hook in self.runner.hooks:
            if isinstance(hook, CheckpointHook):
                out_dir = getattr(hook, 'out_dir', None)
                if out_dir and out_dir != work_dir:
                    return osp.join(out_dir,
                                    osp.basename(work_dir.rstrip(osp.sep)))
        return work_dir

    def _validates(self, iteration: int) -> bool:
        """Whether the loop validates after ``iteration`` iterations."""
        return (self.runner.val_loop is not None
                and iteration >= self.val_begin
                and (iteration % self.val_interval == 0
                     or iteration == self._max_iters))

    def _start_iterator(self) -> Iterator[Sequence[dict]]:
        """The batch iterator, positioned after ``self._iter`` batches."""
        sampler = self.sampler
        if isinstance(sampler, ResumableInfiniteSampler):
            batch_size = self.dataloader.batch_size or getattr(
                self.dataloader.batch_sampler, 'batch_size', None)
            if batch_size is not None:
                sampler.set_start(self._iter * batch_size)
                if self._iter > 0:
                    print_log(f'resumed at iteration {self._iter}: the '
                              f'sampler starts at sample '
                              f'{self._iter * batch_size} (nothing replayed)',
                              logger='current')
                return iter(self.dataloader)
        iterator: Iterator = _RestartingIterator(self.dataloader)
        if isinstance(sampler, ResumableInfiniteSampler):
            iterator = iter(self.dataloader)  # batch sampler of unknown size
        if self._iter > 0:
            print_log(f'the sampler {type(sampler).__name__} cannot start '
                      f'mid-stream: replaying {self._iter} batches',
                      logger='current', level=logging.WARNING)
            for _ in range(self._iter):
                next(iterator)
        return iterator


class _RestartingIterator:
    """Batches of a finite dataloader, epoch after epoch (the sampler's
    ``set_epoch`` is called at each restart), without mmengine's sleep."""

    def __init__(self, dataloader: DataLoader) -> None:
        self._dataloader = dataloader
        self._epoch = 0
        self._iterator = iter(dataloader)

    def __iter__(self) -> '_RestartingIterator':
        return self

    def __next__(self) -> Sequence[dict]:
        try:
            return next(self._iterator)
        except StopIteration:
            self._epoch += 1
            sampler = getattr(self._dataloader, 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(self._epoch)
            self._iterator = iter(self._dataloader)
            return next(self._iterator)
