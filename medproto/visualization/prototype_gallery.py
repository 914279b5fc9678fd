# Copyright (c) medproto contributors. All rights reserved.
"""Prototype gallery: the training patches nearest to each prototype.

For a classifier with a :class:`~medproto.models.heads.MultiPrototypeHead`
:func:`build_prototype_gallery` finds, for every *active* prototype of every
class, the ``k`` samples of a dataset that are most similar to it, and where
in each image the prototype matches best; :func:`plot_prototype_gallery`
draws them as one picture (one row per prototype).

What a "patch" is here
----------------------
The head classifies by the cosine similarity between the *pooled* image
embedding ``z = proj(mean_hw x[:, :, h, w])`` and the prototypes
(:meth:`MultiPrototypeHead.similarities`); with attention the prototypes are
first refined per image. When the head's input ``feats[-1]`` is a spatial map
(B, C, H, W) (no pooling neck, as in the shipped prototype configs), every
location ``(h, w)`` is also projected with the head's own ``proj`` into the
prototype space, and its cosine similarity to the prototype (the same vector
the head compares ``z`` with) locates the patch: the feature-map cell with
the highest similarity, mapped back to a box of the model-input image (cell
``(h, w)`` covers ``[w * W_in / W, (w + 1) * W_in / W) x
[h * H_in / H, (h + 1) * H_in / H)``; the network's receptive field is
larger). When the head gets pooled (B, C) features (a
``GlobalAveragePooling`` neck) there are no locations: the whole image is
the patch and no box is given.
"""
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .confusion import _names

__all__ = [
    'GalleryMatch', 'PrototypeGallery', 'prototype_embeddings',
    'build_prototype_gallery', 'gallery_dataset_cfg', 'stratified_indices'
]

RANK_BY = ('image', 'patch')
Box = Tuple[float, float, float, float]


@dataclass
class GalleryMatch:
    """One sample near a prototype.

    Attributes:
        index (int): Index of the sample in the dataset (``sample_idx`` of
            its data sample when the pipeline keeps it, else its position
            in the loader).
        similarity (float): The ranking score (``image_similarity`` or
            ``patch_similarity``, see ``rank_by``).
        image_similarity (float): Cosine similarity of the pooled embedding
            and the prototype, exactly as the head computes it.
        patch_similarity (float, optional): Cosine similarity of the best
            location; None without a spatial map.
        box (tuple[float], optional): ``(x1, y1, x2, y2)`` of the best
            feature-map cell in pixels of the model-input image (the
            pipeline's output, before normalisation); None without a
            spatial map.
        img_path (str, optional): Image file, from the data sample.
        gt_label (int, optional): Ground-truth class of the sample.
    """

    index: int
    similarity: float
    image_similarity: float
    patch_similarity: Optional[float] = None
    box: Optional[Box] = None
    img_path: Optional[str] = None
    gt_label: Optional[int] = None


@dataclass
class PrototypeGallery:
    """The nearest samples of every active prototype.

    Attributes:
        matches (dict[tuple[int, int], list[GalleryMatch]]): For every
            active prototype ``(class, slot)``, its matches, most similar
            first (fewer than ``topk`` when the dataset is smaller).
        class_names (list[str]): One name per class.
        topk (int): Matches searched per prototype.
        rank_by (str): ``'image'`` or ``'patch'``.
        spatial (bool): Whether patches are feature-map cells (True) or
            whole images (False).
        feat_size (tuple[int, int], optional): (H, W) of the feature map
            of the last batch; None without a spatial map.
        num_samples (int): Samples searched.
        same_class (bool): Whether only samples of the prototype's class
            were searched.
        extra (dict): More JSON-ready entries for :meth:`to_dict` (the
            command-line tool records the config, checkpoint and split).
    """

    matches: Dict[Tuple[int, int], List[GalleryMatch]]
    class_names: List[str]
    topk: int
    rank_by: str
    spatial: bool
    feat_size: Optional[Tuple[int, int]] = None
    num_samples: int = 0
    same_class: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready description, grouped by class then prototype.

        Returns:
            dict: ``rank_by``, ``topk``, ``spatial``, ``patch``,
            ``feat_size``, ``box_format``, ``num_samples``, ``same_class``,
            the ``extra`` entries and ``classes``: a list of
            ``{'class', 'name', 'prototypes': [{'slot', 'matches': [...]}]}``
            where every match has ``rank`` (1 = nearest), ``index``,
            ``img_path``, ``gt_label``, ``gt_name``, ``similarity``,
            ``image_similarity``, ``patch_similarity`` and ``box``.
        """
        classes = []
        for c, name in enumerate(self.class_names):
            protos = []
            for (k, slot), matches in sorted(self.matches.items()):
                if k != c:
                    continue
                rows = []
                for rank, match in enumerate(matches, 1):
                    row = dict(rank=rank, **asdict(match))
                    if row['box'] is not None:
                        row['box'] = [round(float(v), 2) for v in row['box']]
                    gt = match.gt_label
                    row['gt_name'] = (
                        self.class_names[gt] if gt is not None
                        and 0 <= gt < len(self.class_names) else None)
                    rows.append(row)
                protos.append(dict(slot=slot, matches=rows))
            classes.append(dict(**{'class': c}, name=name, prototypes=protos))
        return dict(
            rank_by=self.rank_by,
            topk=self.topk,
            spatial=self.spatial,
            patch=('feature-map cell' if self.spatial else 'whole image'),
            feat_size=list(self.feat_size) if self.feat_size else None,
            box_format='[x1, y1, x2, y2] in pixels of the test-pipeline '
            'image (before normalisation)',
            num_samples=self.num_samples,
            same_class=self.same_class,
            **self.extra,
            classes=classes)


def _prototype_head(model: nn.Module) -> nn.Module:
    """The model's MultiPrototypeHead, or a ValueError saying what it has."""
    from medproto.models.heads import MultiPrototypeHead
    head = getattr(model, 'head', None)
    if head is None:
        raise ValueError(
            f'the prototype gallery needs a classifier with a '
            f'MultiPrototypeHead, but the model ({type(model).__name__}) has '
            f'no head.')
    if not isinstance(head, MultiPrototypeHead):
        raise ValueError(
            f"the model's head is a {type(head).__name__}; the prototype "
            f'gallery needs a MultiPrototypeHead (model.head.type='
            f"'MultiPrototypeHead').")
    return head


@torch.no_grad()
def prototype_embeddings(
        head: nn.Module,
        feats: Sequence[Tensor]) -> Tuple[Tensor, Optional[Tensor], Tensor]:
    """Unit embeddings of the images, their locations and the prototypes.

    Reproduces :meth:`MultiPrototypeHead.similarities`:
    ``einsum('bd,bkmd->bkm', z, protos)`` equals its similarities.

    Args:
        head (MultiPrototypeHead): The head (in eval mode).
        feats (Sequence[Tensor]): Backbone / neck outputs; ``feats[-1]`` is
            (B, C, H, W) or (B, C).

    Returns:
        tuple[Tensor, Tensor | None, Tensor]: The unit pooled embeddings
        ``z`` (B, D); the unit location embeddings (B, H*W, D), row-major
        (token ``h * W + w``), projected with the head's ``proj``, or None
        for (B, C) features; the unit prototypes each image is compared with
        (B, K, M, D) (refined per image with attention, else the shared
        ones; inactive slots included).
    """
    from medproto.models.layers.layout import nchw_to_tokens
    x = feats[-1]
    z, tokens = head._embed(feats)
    if tokens is None and x.dim() == 4:
        tokens = head.proj(nchw_to_tokens(x))
    protos = head.prototype_manager.normalized_prototypes()
    k, m, d = protos.shape
    b = z.size(0)
    if head.attention is None:
        per_image = protos.unsqueeze(0).expand(b, k, m, d)
    else:
        refined = head.attention(
            protos.reshape(k * m, d), tokens, head.groups,
            head.prototype_manager.active.flatten())
        per_image = F.normalize(refined, dim=-1).view(b, k, m, d)
    z = F.normalize(z, dim=-1)
    tokens = None if tokens is None else F.normalize(tokens, dim=-1)
    return z, tokens, per_image


def _as_loader(data: Any, batch_size: int,
               num_workers: int) -> Iterable[dict]:
    """A sequential loader over ``data`` (a dataset or a loader)."""
    if isinstance(data, torch.utils.data.DataLoader):
        return data
    if not (hasattr(data, '__getitem__') and hasattr(data, '__len__')):
        raise ValueError('data must be a dataset (with __getitem__ and '
                         f'__len__) or a DataLoader, got '
                         f'{type(data).__name__}.')
    if len(data) == 0:
        raise ValueError('the dataset is empty.')
    from mmengine.dataset import pseudo_collate
    return torch.utils.data.DataLoader(
        data,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=pseudo_collate)


def _sample_meta(sample: Any, fallback_index: int,
                 full_shape: Tuple[int, int]) -> Tuple[int, Optional[str],
                                                       Optional[int],
                                                       Tuple[int, int]]:
    """(index, img_path, gt_label, (h, w)) of one data sample."""
    meta = getattr(sample, 'metainfo', {}) or {}
    index = meta.get('sample_idx', fallback_index)
    gt = None
    if sample is not None and 'gt_label' in sample:
        label = torch.as_tensor(sample.gt_label).reshape(-1)
        gt = int(label[0]) if label.numel() else None
    shape = meta.get('img_shape') or full_shape
    return int(index), meta.get('img_path'), gt, (int(shape[0]),
                                                  int(shape[1]))


@torch.no_grad()
def build_prototype_gallery(model: nn.Module,
                            data: Any,
                            topk: int = 5,
                            rank_by: str = 'image',
                            same_class: bool = False,
                            max_samples: Optional[int] = None,
                            batch_size: int = 16,
                            num_workers: int = 0,
                            class_names: Optional[Sequence[str]] = None
                            ) -> PrototypeGallery:
    """Find the ``topk`` samples nearest to every active prototype.

    The model runs in eval mode under ``torch.no_grad`` (its mode is
    restored afterwards) on the device of its parameters. Only running
    top-k tensors of shape (K, M, topk) are kept, never the features of all
    samples. See the module docstring for what a patch is.

    Args:
        model (nn.Module): An mmpretrain ``ImageClassifier`` (with
            ``data_preprocessor``, ``extract_feat`` and ``head``) whose head
            is a :class:`MultiPrototypeHead`.
        data (Dataset | DataLoader): Samples as mmpretrain pipelines give
            them (``{'inputs': uint8 (C, H, W), 'data_samples': DataSample}``);
            a dataset is read in order with ``pseudo_collate``. Use a
            deterministic (test) pipeline so that the patches can be drawn
            again from the dataset.
        topk (int): Samples per prototype (>= 1). Defaults to 5.
        rank_by (str): ``'image'``: rank by the head's similarity of the
            pooled embedding (what classification uses); ``'patch'``: by the
            best location's similarity (ProtoPNet-style, needs a spatial
            map). Defaults to ``'image'``.
        same_class (bool): Search only samples of the prototype's class
            (needs ``gt_label``). Defaults to False.
        max_samples (int, optional): Stop after this many samples.
            Defaults to None (all).
        batch_size (int): Batch size when ``data`` is a dataset.
            Defaults to 16.
        num_workers (int): Loader workers when ``data`` is a dataset.
            Defaults to 0.
        class_names (Sequence[str], optional): One name per class; defaults
            to ``dataset.metainfo['classes']``, else the indices.

    Returns:
        PrototypeGallery: The matches of every active prototype.

    Raises:
        ValueError: If the head is not a MultiPrototypeHead, ``topk`` or
            ``max_samples`` is < 1, ``rank_by`` is unknown, ``'patch'`` is
            asked without a spatial map, ``same_class`` without labels, or
            the data is empty.
    """
    head = _prototype_head(model)
    for name, value in (('topk', topk), ('batch_size', batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be an int >= 1, got {value!r}.')
    if max_samples is not None and (isinstance(max_samples, bool)
                                    or not isinstance(max_samples, int)
                                    or max_samples < 1):
        raise ValueError(
            f'max_samples must be None or an int >= 1, got {max_samples!r}.')
    if rank_by not in RANK_BY:
        raise ValueError(
            f'rank_by must be one of {RANK_BY}, got {rank_by!r}.')
    loader = _as_loader(data, batch_size, num_workers)
    dataset = getattr(loader, 'dataset', data)
    num_classes = head.num_classes
    names = _class_names(class_names, dataset, num_classes)

    active = head.prototype_manager.active.detach().cpu().clone()  # (K, M)
    k_cls, m_slots = active.shape
    best_score = torch.full((k_cls, m_slots, topk), -math.inf)
    best_image = torch.zeros(k_cls, m_slots, topk)
    best_patch = torch.full((k_cls, m_slots, topk), math.nan)
    best_index = torch.full((k_cls, m_slots, topk), -1, dtype=torch.long)
    best_box = torch.full((k_cls, m_slots, topk, 4), math.nan)
    meta: Dict[int, Tuple[Optional[str], Optional[int]]] = {}

    was_training = model.training
    model.eval()
    seen = 0
    spatial: Optional[bool] = None
    feat_size = None
    try:
        for batch in loader:
            if max_samples is not None and seen >= max_samples:
                break
            batch = _truncate(batch, None if max_samples is None else
                              max_samples - seen)
            data_in = model.data_preprocessor(batch, False)
            inputs, samples = data_in['inputs'], data_in.get('data_samples')
            b = inputs.size(0)
            if samples is None:
                samples = [None] * b
            feats = model.extract_feat(inputs)
            z, tokens, protos = prototype_embeddings(head, feats)
            image_sims = torch.einsum('bd,bkmd->bkm', z, protos)  # (B, K, M)
            batch_spatial = tokens is not None
            if spatial is None:
                spatial = batch_spatial
                if rank_by == 'patch' and not spatial:
                    raise ValueError(
                        "rank_by='patch' needs a spatial feature map, but "
                        'the head gets pooled (B, C) features (a pooling '
                        "neck?); use rank_by='image'.")
            full_shape = (inputs.size(-2), inputs.size(-1))
            metas = [
                _sample_meta(s, seen + i, full_shape)
                for i, s in enumerate(samples)
            ]
            index = torch.tensor([mt[0] for mt in metas])
            if batch_spatial:
                h, w = feats[-1].shape[-2:]
                feat_size = (int(h), int(w))
                patch_sims, boxes = _best_patches(tokens, protos, metas,
                                                  full_shape, feat_size)
            else:
                patch_sims = torch.full_like(image_sims, math.nan)
                boxes = image_sims.new_full((*image_sims.shape, 4), math.nan)
            score = image_sims if rank_by == 'image' else patch_sims
            score = score.float().cpu().clone()
            if same_class:
                labels = [mt[2] for mt in metas]
                if any(y is None for y in labels):
                    raise ValueError('same_class=True needs a gt_label in '
                                     'every data sample.')
                other = torch.tensor(labels)[:, None] != torch.arange(k_cls)
                score[other] = -math.inf
            # Merge the batch into the running top-k along the sample axis.
            cand = torch.cat([best_score, score.permute(1, 2, 0)], dim=-1)
            top = cand.topk(topk, dim=-1).indices  # (K, M, topk)
            best_score = cand.gather(2, top)
            best_image = _merge(best_image,
                                image_sims.float().cpu().permute(1, 2, 0), top)
            best_patch = _merge(best_patch,
                                patch_sims.float().cpu().permute(1, 2, 0), top)
            best_index = _merge(best_index,
                                index[None, None].expand(k_cls, m_slots, b),
                                top)
            best_box = _merge(best_box,
                              boxes.float().cpu().permute(1, 2, 0, 3), top)
            for mt in metas:
                meta[mt[0]] = (mt[1], mt[2])
            kept = set(best_index[best_score > -math.inf].tolist())
            meta = {i: v for i, v in meta.items() if i in kept}
            seen += b
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError('the data gave no samples.')

    matches: Dict[Tuple[int, int], List[GalleryMatch]] = {}
    for c, slot in active.nonzero().tolist():
        row = []
        for j in range(best_score.size(-1)):
            score = float(best_score[c, slot, j])
            if score == -math.inf:
                continue
            idx = int(best_index[c, slot, j])
            path, gt = meta.get(idx, (None, None))
            box = (tuple(float(v) for v in best_box[c, slot, j])
                   if spatial else None)
            patch = float(best_patch[c, slot, j]) if spatial else None
            row.append(
                GalleryMatch(
                    index=idx,
                    similarity=score,
                    image_similarity=float(best_image[c, slot, j]),
                    patch_similarity=patch,
                    box=box,
                    img_path=path,
                    gt_label=gt))
        matches[(c, slot)] = row
    return PrototypeGallery(
        matches=matches,
        class_names=names,
        topk=topk,
        rank_by=rank_by,
        spatial=bool(spatial),
        feat_size=feat_size,
        num_samples=seen,
        same_class=same_class)


def _merge(old: Tensor, new: Tensor, top: Tensor) -> Tensor:
    """Keep the running top-k entries of ``old`` and the batch's ``new``.

    Args:
        old (Tensor): Kept values, (K, M, topk) or (K, M, topk, E).
        new (Tensor): The batch's values, (K, M, B) or (K, M, B, E).
        top (Tensor): Indices into the concatenated sample axis,
            (K, M, topk).

    Returns:
        Tensor: The selected values, (K, M, topk) or (K, M, topk, E).
    """
    both = torch.cat([old, new], dim=2)
    if both.dim() == 4:
        top = top[..., None].expand(*top.shape, both.size(-1))
    return both.gather(2, top)


def stratified_indices(labels: Sequence[int], limit: int) -> List[int]:
    """At most ``limit`` dataset indices spread over every class.

    Classes take turns (round robin, in label order); within a class the
    chosen samples are evenly spaced over its indices, so a folder dataset
    sorted by class is not cut after its first classes.

    Args:
        labels (Sequence[int]): The class of every sample.
        limit (int): How many indices to return (>= 1).

    Returns:
        list[int]: Sorted indices, ``min(limit, len(labels))`` of them.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f'limit must be an int >= 1, got {limit!r}.')
    by_class: Dict[int, List[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    quota = {c: 0 for c in by_class}
    left = min(limit, len(labels))
    while left:
        for c in sorted(by_class):
            if left and quota[c] < len(by_class[c]):
                quota[c] += 1
                left -= 1
    chosen = []
    for c, members in by_class.items():
        n = quota[c]
        chosen += [members[int(i * len(members) / n)] for i in range(n)]
    return sorted(chosen)


def _truncate(batch: dict, limit: Optional[int]) -> dict:
    """The first ``limit`` samples of a pseudo-collated batch."""
    if limit is None:
        return batch
    out = dict(batch)
    for key in ('inputs', 'data_samples'):
        value = batch.get(key)
        if value is not None:
            out[key] = value[:limit]
    return out


def _best_patches(tokens: Tensor, protos: Tensor,
                  metas: Sequence[tuple], full_shape: Tuple[int, int],
                  feat_size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
    """Best location of every prototype in every image.

    Args:
        tokens (Tensor): Unit location embeddings (B, H*W, D).
        protos (Tensor): Unit prototypes per image (B, K, M, D).
        metas (Sequence[tuple]): ``_sample_meta`` of each sample (its
            unpadded (h, w) is the last item).
        full_shape (tuple[int, int]): (H_in, W_in) of the (padded) batch.
        feat_size (tuple[int, int]): (H, W) of the feature map.

    Returns:
        tuple[Tensor, Tensor]: The best similarity (B, K, M) and its cell
        as ``(x1, y1, x2, y2)`` input pixels (B, K, M, 4), clipped to the
        unpadded image; cells entirely in the padding are never chosen.
    """
    fh, fw = feat_size
    sy, sx = full_shape[0] / fh, full_shape[1] / fw
    sims = torch.einsum('bnd,bkmd->bkmn', tokens, protos)  # (B, K, M, N)
    rows = torch.arange(fh, device=tokens.device).repeat_interleave(fw)
    cols = torch.arange(fw, device=tokens.device).repeat(fh)
    heights = torch.tensor([mt[3][0] for mt in metas], device=tokens.device)
    widths = torch.tensor([mt[3][1] for mt in metas], device=tokens.device)
    valid = (rows[None] * sy < heights[:, None]) & (
        cols[None] * sx < widths[:, None])  # (B, N)
    sims = sims.masked_fill(~valid[:, None, None], -math.inf)
    best, loc = sims.max(dim=-1)  # (B, K, M)
    row, col = rows[loc].float(), cols[loc].float()
    x1, y1 = col * sx, row * sy
    x2 = torch.minimum((col + 1) * sx, widths[:, None, None].float())
    y2 = torch.minimum((row + 1) * sy, heights[:, None, None].float())
    return best, torch.stack([x1, y1, x2, y2], dim=-1)


def _class_names(class_names: Optional[Sequence[str]], dataset: Any,
                 num_classes: int) -> List[str]:
    """Validated class names: given, from the dataset metainfo, or indices."""
    if class_names is None:
        meta = getattr(dataset, 'metainfo', None) or {}
        class_names = meta.get('classes') if isinstance(meta, dict) else None
        if class_names is not None and len(class_names) != num_classes:
            class_names = None  # metainfo of another label set
    return _names(class_names, num_classes)


def gallery_dataset_cfg(cfg: Any, split: str = 'train') -> dict:
    """The dataset config of a split, with the test pipeline.

    The training set is read with the *test* pipeline (no random flips or
    crops), so the patches can be drawn again from the same dataset;
    dataset wrappers (``RepeatDataset``, ``ClassBalancedDataset``, ...)
    are removed so that every sample is searched once.

    Args:
        cfg (Config | dict): The experiment config.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.

    Returns:
        dict: A dataset config to build with the config's default scope.

    Raises:
        ValueError: If the split is unknown or the config lacks the
            dataloader or a test pipeline.
    """
    import copy
    if split not in ('train', 'val'):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}.")
    loader = cfg.get(f'{split}_dataloader') or {}
    dataset = loader.get('dataset')
    if not dataset:
        raise ValueError(f'the config has no {split}_dataloader.dataset.')
    dataset = copy.deepcopy(dict(dataset))
    pipeline = None
    for key in ('test_dataloader', 'val_dataloader'):
        ds = (cfg.get(key) or {}).get('dataset') or {}
        while isinstance(ds, dict) and 'pipeline' not in ds and 'dataset' in \
                ds:
            ds = ds['dataset']
        if isinstance(ds, dict) and ds.get('pipeline'):
            pipeline = ds['pipeline']
            break
    if pipeline is None:
        pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        raise ValueError('the config has no test pipeline (test_dataloader.'
                         'dataset.pipeline, val_dataloader.dataset.pipeline '
                         'or test_pipeline).')

    def strip(ds: dict) -> dict:
        while 'pipeline' not in ds and isinstance(ds.get('dataset'), dict):
            ds = dict(ds['dataset'])  # unwrap RepeatDataset and the like
        if 'datasets' in ds:
            ds['datasets'] = [strip(dict(d)) for d in ds['datasets']]
        else:
            ds['pipeline'] = copy.deepcopy(list(pipeline))
        return ds

    return strip(dataset)


def build_split_dataset(cfg: Any, split: str,
                        max_images: Optional[int] = None
                        ) -> Tuple[Any, Optional[List[str]],
                                   Optional[List[int]]]:
    """Build a split with the test pipeline for an analysis tool.

    Checks that the split's data folders exist, builds
    :func:`gallery_dataset_cfg` in the config's default scope and, with
    ``max_images`` below the dataset's size and labels available, keeps a
    class-stratified subset (:func:`stratified_indices`: every class, not
    the first ones of a class-sorted folder).

    Args:
        cfg (Config): The experiment config.
        split (str): ``'train'`` or ``'val'``.
        max_images (int, optional): Keep at most this many images.
            Defaults to None (all).

    Returns:
        tuple: The dataset (a ``Subset`` when stratified), the class names
        of its metainfo (or None) and the kept indices (or None when the
        whole dataset is kept or it has no labels to stratify by).

    Raises:
        ValueError: One sentence naming a missing data folder, or what
            :func:`gallery_dataset_cfg` refuses.
    """
    import os.path as osp

    from mmengine.registry import DATASETS, init_default_scope

    from ..utils.cli import _dataset_roots
    for key, root in _dataset_roots(cfg):
        if key.startswith(f'{split}_dataloader') and not osp.isdir(root):
            raise ValueError(
                f"data folder '{root}' ({key}) does not exist: put the "
                f'dataset there (see docs/datasets.md) or pass '
                f'--cfg-options {key}=/path/to/data')
    dataset_cfg = gallery_dataset_cfg(cfg, split)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = DATASETS.build(dataset_cfg)
    class_names = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    subset = None
    if max_images is not None and max_images < len(dataset) and hasattr(
            dataset, 'get_gt_labels'):
        subset = stratified_indices(
            [int(x) for x in dataset.get_gt_labels()], max_images)
        dataset = torch.utils.data.Subset(dataset, subset)
    return dataset, class_names, subset
