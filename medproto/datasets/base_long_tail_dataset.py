# Copyright (c) medproto contributors. All rights reserved.
"""Shared base of medproto's classification datasets."""
from typing import Any, List, Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets import BaseDataset

from .long_tail import make_long_tail_indices


class BaseLongTailDataset(BaseDataset):
    """Classification dataset with optional long-tail subsampling.

    Subclasses implement :meth:`load_samples`, which returns one info dict
    per sample with an int ``gt_label`` and sets ``classes`` in the metainfo.
    This base then

    * applies the exponential long-tail subsampler
      (:func:`~medproto.datasets.long_tail.make_long_tail_indices`) when
      ``imbalance_factor`` is given: the head class keeps all its samples and
      the class at rank ``i`` (``class_order``, default label order) keeps
      ``n_max * (1 / imbalance_factor) ** (i / (C - 1))``;
    * writes ``class_counts`` (samples per class, in label order) into the
      metainfo once the dataset is fully initialised, so losses, samplers and
      metrics can read it.

    Every sample carries ``sample_idx`` (set by mmengine), which
    mmpretrain's ``PackInputs`` keeps in the data sample's metainfo by
    default -- contrastive distillation (CRD) reads it.

    Args:
        imbalance_factor (float, optional): Head / tail size ratio
            (``>= 1``). None keeps every sample. Defaults to None.
        imb_seed (int): Seed of the subsampler. Defaults to 0.
        class_order (Sequence[str | int], optional): Classes from head to
            tail, by name or label; must name every class once. Defaults to
            label order (sorted names for folder datasets).
        **kwargs: Arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 imbalance_factor: Optional[float] = None,
                 imb_seed: int = 0,
                 class_order: Optional[Sequence[Union[str, int]]] = None,
                 **kwargs: Any) -> None:
        if imbalance_factor is not None and not (
                isinstance(imbalance_factor, (int, float))
                and imbalance_factor >= 1):
            raise ValueError(f'`imbalance_factor` must be a number >= 1 or '
                             f'None, got {imbalance_factor!r}')
        if class_order is not None and imbalance_factor is None:
            raise ValueError('`class_order` only applies with an '
                             '`imbalance_factor`; set one or drop it')
        self.imbalance_factor = imbalance_factor
        self.imb_seed = imb_seed
        self.class_order = None if class_order is None else list(class_order)
        super().__init__(**kwargs)

    def load_samples(self) -> List[dict]:
        """Return every sample's info dict (with ``gt_label``).

        Implementations must set ``self._metainfo['classes']``.

        Returns:
            list[dict]: Sample infos in a deterministic order.
        """
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        """Load the samples and apply the long-tail subsampler.

        Returns:
            list[dict]: The kept sample infos, in their original order.
        """
        data_list = self.load_samples()
        if self.imbalance_factor is None:
            return data_list
        labels = [info['gt_label'] for info in data_list]
        kept = make_long_tail_indices(
            labels,
            self.imbalance_factor,
            seed=self.imb_seed,
            num_classes=len(self.CLASSES),
            class_order=self._class_order_labels())
        return [data_list[i] for i in kept]

    def _class_order_labels(self) -> Optional[List[int]]:
        """Translate ``class_order`` names into labels."""
        if self.class_order is None:
            return None
        labels = []
        for item in self.class_order:
            if isinstance(item, str):
                if item not in self.class_to_idx:
                    raise ValueError(f'`class_order` names {item!r}, which '
                                     f'is not a class of {self.CLASSES}')
                labels.append(self.class_to_idx[item])
            else:
                labels.append(int(item))
        if sorted(labels) != list(range(len(self.CLASSES))):
            raise ValueError(f'`class_order` must list each of the '
                             f'{len(self.CLASSES)} classes once, got '
                             f'{self.class_order!r}')
        return labels

    def full_init(self) -> None:
        """Load the data list and record ``class_counts`` in the metainfo."""
        if self._fully_initialized:
            return
        super().full_init()
        labels = np.asarray(self.get_gt_labels(), dtype=np.int64)
        counts = np.bincount(labels, minlength=len(self.CLASSES))
        self._metainfo['class_counts'] = [int(c) for c in counts]
