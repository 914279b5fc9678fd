# Copyright (c) medproto contributors. All rights reserved.
"""Prototype usage: which prototypes of each class its images actually use.

For a classifier with a :class:`~medproto.models.heads.MultiPrototypeHead`,
:func:`prototype_usage` runs the head over a dataset and reports, per class
``k``:

* ``num_active``: the active prototype slots of ``k``;
* ``num_used``: how many of them *win* for at least one image of ``k``
  (have the highest similarity among ``k``'s own active prototypes);
* ``top_share``: the share of ``k``'s images won by its most-used prototype
  (1.0: the class has collapsed onto one prototype, whatever ``num_active``
  says);
* ``own_similarity``: the mean, over ``k``'s images, of the similarity to
  ``k``'s best prototype;
* ``other_similarity``: the mean similarity to the best prototype of the
  strongest *other* class (the other class whose best prototype is nearest);
* ``margin``: the mean of the per-image difference of the two (> 0: the own
  class is nearer on average);
* ``recall``: the share of ``k``'s images the head classifies as ``k``.

The similarities are exactly those the head classifies with
(:meth:`MultiPrototypeHead.similarities`: cosine of the pooled embedding and
the prototypes, refined per image when the head has attention); inactive
slots are left out. With ``pooling='softmax'`` the class score is a soft
maximum, but the winner of an image is still its most similar prototype.

:func:`usage_from_similarities` computes the same table from similarities
alone, without a model.
"""
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor, nn

from .prototype_gallery import _as_loader, _class_names, _truncate

__all__ = [
    'ClassUsage', 'PrototypeUsage', 'prototype_usage',
    'usage_from_similarities', 'require_prototype_head'
]


@dataclass
class ClassUsage:
    """How the images of one class use its prototypes.

    Attributes:
        index (int): Class index.
        name (str): Class name.
        num_images (int): Images of the class in the data.
        num_active (int): Active prototype slots of the class.
        num_used (int): Active prototypes that win for at least one image of
            the class.
        wins (dict[int, int]): Images of the class won by each active slot
            (slot index -> count; unused slots have 0).
        top_share (float, optional): Share of the class's images won by its
            most-used prototype; None without images.
        own_similarity (float, optional): Mean similarity of an image to its
            class's best prototype; None without images.
        other_similarity (float, optional): Mean similarity of an image to
            the best prototype of the strongest other class; None without
            images or other classes.
        margin (float, optional): ``own - other`` averaged over the images.
        recall (float, optional): Share of the class's images predicted as
            the class; None without images.
        train_count (int, optional): Training images of the class, when
            given (to read the table by head / tail).
    """

    index: int
    name: str
    num_images: int
    num_active: int
    num_used: int
    wins: Dict[int, int]
    top_share: Optional[float]
    own_similarity: Optional[float]
    other_similarity: Optional[float]
    margin: Optional[float]
    recall: Optional[float]
    train_count: Optional[int] = None


@dataclass
class PrototypeUsage:
    """Prototype usage of every class.

    Attributes:
        classes (list[ClassUsage]): One entry per class, in class order.
        num_samples (int): Images read.
        extra (dict): More JSON-ready entries for :meth:`to_dict` (the
            command-line tool records the config, checkpoint and split).
    """

    classes: List[ClassUsage]
    num_samples: int
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready description.

        Returns:
            dict: ``num_samples``, the ``extra`` entries and ``classes``, a
            list of the :class:`ClassUsage` fields (``wins`` keyed by the
            slot as a string, as JSON requires).
        """
        classes = []
        for cls in self.classes:
            row = asdict(cls)
            row['wins'] = {str(k): v for k, v in cls.wins.items()}
            classes.append(row)
        return dict(num_samples=self.num_samples, **self.extra,
                    classes=classes)

    def format_table(self) -> str:
        """The usage as a plain-text table, one row per class.

        Returns:
            str: Columns ``class``, ``train`` (when training counts are
            known), ``images``, ``active``, ``used``, ``top share``,
            ``own sim``, ``other sim``, ``margin`` and ``recall``; ``-``
            for a value that does not exist.
        """
        with_train = any(c.train_count is not None for c in self.classes)
        header = ['class'] + (['train'] if with_train else []) + [
            'images', 'active', 'used', 'top share', 'own sim', 'other sim',
            'margin', 'recall'
        ]

        def num(value: Optional[float], fmt: str) -> str:
            return '-' if value is None else format(value, fmt)

        rows = []
        for c in self.classes:
            rows.append([c.name] + (
                [num(c.train_count, 'd')] if with_train else []) + [
                    str(c.num_images),
                    str(c.num_active),
                    str(c.num_used),
                    num(c.top_share, '.2f'),
                    num(c.own_similarity, '.3f'),
                    num(c.other_similarity, '.3f'),
                    num(c.margin, '+.3f'),
                    num(c.recall, '.3f')
                ])
        widths = [
            max(len(r[i]) for r in [header] + rows)
            for i in range(len(header))
        ]
        lines = []
        for r in [header] + rows:
            cells = [r[0].ljust(widths[0])] + [
                v.rjust(w) for v, w in zip(r[1:], widths[1:])
            ]
            lines.append('  '.join(cells).rstrip())
        lines.insert(1, '-' * len(lines[0]))
        return '\n'.join(lines)


def require_prototype_head(model: nn.Module) -> nn.Module:
    """The model's MultiPrototypeHead.

    Args:
        model (nn.Module): A classifier with a ``head`` attribute.

    Returns:
        nn.Module: ``model.head``.

    Raises:
        ValueError: One sentence naming the head the model has instead.
    """
    from medproto.models.heads import MultiPrototypeHead
    head = getattr(model, 'head', None)
    if not isinstance(head, MultiPrototypeHead):
        what = ('no head' if head is None else
                f'a {type(head).__name__} head')
        raise ValueError(
            f'prototype usage needs a classifier with a MultiPrototypeHead '
            f"(model.head.type='MultiPrototypeHead'), but the model has "
            f'{what}.')
    return head


def _check_counts(values: Optional[Sequence[int]], num_classes: int,
                  name: str) -> Optional[List[int]]:
    """``values`` as ints, or None; one entry per class."""
    if values is None:
        return None
    values = [int(v) for v in values]
    if len(values) != num_classes:
        raise ValueError(f'{name} needs {num_classes} entries (one per '
                         f'class), got {len(values)}.')
    return values


def usage_from_similarities(
        sims: Tensor,
        labels: Tensor,
        active: Tensor,
        preds: Tensor,
        class_names: Optional[Sequence[str]] = None,
        train_counts: Optional[Sequence[int]] = None) -> PrototypeUsage:
    """Prototype usage from the head's similarities.

    Args:
        sims (Tensor): Similarity of every image to every prototype slot,
            (N, K, M) (inactive slots included; they are ignored).
        labels (Tensor): True class of every image, (N, ), in [0, K).
        active (Tensor): Active slots, bool (K, M)
            (``prototype_manager.active``).
        preds (Tensor): Predicted class of every image, (N, ).
        class_names (Sequence[str], optional): K names; defaults to the
            indices.
        train_counts (Sequence[int], optional): K training-image counts,
            copied into the result for reading head / tail.

    Returns:
        PrototypeUsage: One :class:`ClassUsage` per class (see the module
        docstring for the definitions).

    Raises:
        ValueError: On mismatched shapes, labels out of range or a class
            list of the wrong length.
    """
    if sims.dim() != 3:
        raise ValueError(f'sims must be (N, K, M), got {tuple(sims.shape)}.')
    n, k_cls, m_slots = sims.shape
    active = torch.as_tensor(active, dtype=torch.bool).cpu()
    if tuple(active.shape) != (k_cls, m_slots):
        raise ValueError(f'active must be ({k_cls}, {m_slots}) like sims, '
                         f'got {tuple(active.shape)}.')
    labels = torch.as_tensor(labels).reshape(-1).long().cpu()
    preds = torch.as_tensor(preds).reshape(-1).long().cpu()
    if labels.numel() != n or preds.numel() != n:
        raise ValueError(f'labels and preds need {n} entries (one per '
                         f'image), got {labels.numel()} and {preds.numel()}.')
    if n and (labels.min() < 0 or labels.max() >= k_cls):
        raise ValueError(f'labels must be in [0, {k_cls}), got values in '
                         f'[{int(labels.min())}, {int(labels.max())}].')
    names = _class_names(class_names, None, k_cls)
    counts = _check_counts(train_counts, k_cls, 'train_counts')

    sims = sims.detach().float().cpu()
    masked = sims.masked_fill(~active, -math.inf)
    class_best = masked.amax(dim=-1)  # (N, K); -inf for a class with none
    rows = torch.arange(n)
    own_best, own_slot = masked[rows, labels].max(dim=-1)  # (N, ), (N, )
    others = class_best.clone()
    others[rows, labels] = -math.inf
    other_best = others.amax(dim=-1) if k_cls > 1 else torch.full(
        (n, ), -math.inf)

    classes = []
    for c in range(k_cls):
        mine = labels == c
        count = int(mine.sum())
        slots = active[c].nonzero().flatten().tolist()
        wins = {s: 0 for s in slots}
        if count and slots:
            for s, w in zip(*torch.unique(own_slot[mine],
                                          return_counts=True)):
                wins[int(s)] = int(w)
        own = own_best[mine]
        other = other_best[mine]

        def mean(x: Tensor) -> Optional[float]:
            return float(x.mean()) if x.numel() and bool(
                torch.isfinite(x).all()) else None

        own_mean, other_mean = mean(own), mean(other)
        classes.append(
            ClassUsage(
                index=c,
                name=names[c],
                num_images=count,
                num_active=len(slots),
                num_used=sum(1 for w in wins.values() if w > 0),
                wins=wins,
                top_share=(max(wins.values()) / count
                           if count and slots else None),
                own_similarity=own_mean,
                other_similarity=other_mean,
                margin=(mean(own - other) if own_mean is not None
                        and other_mean is not None else None),
                recall=(float((preds[mine] == c).float().mean())
                        if count else None),
                train_count=None if counts is None else counts[c]))
    return PrototypeUsage(classes=classes, num_samples=n)


@torch.no_grad()
def prototype_usage(model: nn.Module,
                    data: Any,
                    max_samples: Optional[int] = None,
                    batch_size: int = 16,
                    num_workers: int = 0,
                    class_names: Optional[Sequence[str]] = None,
                    train_counts: Optional[Sequence[int]] = None
                    ) -> PrototypeUsage:
    """Run a prototype classifier over a dataset and report its usage.

    The model runs in eval mode under ``torch.no_grad`` (its mode is
    restored afterwards) on the device of its parameters. Only the (N, K, M)
    similarities, the labels and the predictions are kept.

    Args:
        model (nn.Module): An mmpretrain ``ImageClassifier`` (with
            ``data_preprocessor``, ``extract_feat`` and ``head``) whose head
            is a :class:`MultiPrototypeHead`.
        data (Dataset | DataLoader): Labelled samples as mmpretrain
            pipelines give them (``{'inputs': uint8 (C, H, W),
            'data_samples': DataSample}``); a dataset is read in order with
            ``pseudo_collate``.
        max_samples (int, optional): Stop after this many samples.
            Defaults to None (all).
        batch_size (int): Batch size when ``data`` is a dataset.
            Defaults to 16.
        num_workers (int): Loader workers when ``data`` is a dataset.
            Defaults to 0.
        class_names (Sequence[str], optional): One name per class; defaults
            to ``dataset.metainfo['classes']``, else the indices.
        train_counts (Sequence[int], optional): Training images per class,
            copied into the result.

    Returns:
        PrototypeUsage: Usage per class (see the module docstring).

    Raises:
        ValueError: If the head is not a MultiPrototypeHead, a setting is
            out of range, a sample has no ``gt_label`` or the data is empty.
    """
    head = require_prototype_head(model)
    if isinstance(batch_size, bool) or not isinstance(batch_size,
                                                      int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got '
                         f'{batch_size!r}.')
    if max_samples is not None and (isinstance(max_samples, bool)
                                    or not isinstance(max_samples, int)
                                    or max_samples < 1):
        raise ValueError(
            f'max_samples must be None or an int >= 1, got {max_samples!r}.')
    loader = _as_loader(data, batch_size, num_workers)
    dataset = getattr(loader, 'dataset', data)
    names = _class_names(class_names, dataset, head.num_classes)

    all_sims, all_labels, all_preds = [], [], []
    seen = 0
    was_training = model.training
    model.eval()
    try:
        for batch in loader:
            if max_samples is not None and seen >= max_samples:
                break
            batch = _truncate(batch, None if max_samples is None else
                              max_samples - seen)
            data_in = model.data_preprocessor(batch, False)
            samples = data_in.get('data_samples')
            if not samples or any(s is None or 'gt_label' not in s
                                  for s in samples):
                raise ValueError('prototype usage needs a gt_label in every '
                                 'data sample (a labelled split).')
            feats = model.extract_feat(data_in['inputs'])
            sims = head.similarities(feats)[1]  # (B, K, M)
            logits = head._logits(sims)
            all_sims.append(sims.float().cpu())
            all_preds.append(logits.argmax(dim=-1).cpu())
            all_labels.append(
                torch.cat([
                    torch.as_tensor(s.gt_label).reshape(-1)[:1]
                    for s in samples
                ]).cpu())
            seen += len(samples)
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError('the data gave no samples.')
    return usage_from_similarities(
        torch.cat(all_sims),
        torch.cat(all_labels),
        head.prototype_manager.active.detach().cpu(),
        torch.cat(all_preds),
        class_names=names,
        train_counts=train_counts)
