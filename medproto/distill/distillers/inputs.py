# Copyright (c) medproto contributors. All rights reserved.
"""Input references of distillation losses and connectors.

A config binds every argument of a loss's ``forward`` to a reference:

* ``'s.<recorder>'`` / ``'t.<recorder>'``: a student / teacher recorder;
* ``'c.<connector>'``: the output of a connector;
* ``'gt_label'`` (LongTensor (B,)), ``'gt_mask'`` (FloatTensor (B, 1, H, W))
  and ``'sample_idx'`` (LongTensor (B,)): fields of the data samples.

A list of references binds a list of values (e.g. several feature levels).

A loss that reads a connector's map only at a few pixels may name that
argument in its ``pixelwise_inputs``; the distiller then passes a
:class:`PixelwiseMap` instead of the map (see there).
"""
import inspect
from typing import Callable, Dict, List, Mapping, NamedTuple, Sequence, Union

import torch
from torch import Tensor

__all__ = ['InputRef', 'RefDict', 'PixelwiseMap', 'parse_input_refs',
           'resolve_all',
           'check_forward_arguments', 'gather_data_field', 'DATA_FIELDS']

#: References to fields of the data samples.
DATA_FIELDS = ('gt_label', 'gt_mask', 'sample_idx')
_PREFIXES = {'s': 'student recorder', 't': 'teacher recorder',
             'c': 'connector'}

RefSpec = Union[str, Sequence[str]]


class InputRef(NamedTuple):
    """A parsed reference.

    Attributes:
        kind (str): ``'s'``, ``'t'``, ``'c'`` or ``'data'``.
        name (str): Recorder, connector or data field name.
    """
    kind: str
    name: str


#: Argument name -> parsed reference(s).
RefDict = Dict[str, Union[InputRef, List[InputRef]]]


class PixelwiseMap:
    """A connector's (N, C, H, W) output map, computed only at the pixels a
    loss reads.

    The distiller passes one, instead of the map, to a loss argument that
    the loss lists in its ``pixelwise_inputs`` when the argument is a single
    connector output (``'c.<name>'``) that nothing else reads and the
    connector has ``forward_at(*inputs, batch_idx, pixel_idx)`` and
    ``output_shape(*inputs)`` (e.g.
    :class:`~medproto.distill.connectors.Conv1x1Connector`, exact: its
    BatchNorm statistics stay those of the whole map). The loss evaluates
    it once, with :meth:`at` (or :meth:`zero` when it reads no pixel), so
    the connector runs once per step as it would on the full map.

    Args:
        connector (nn.Module): The connector.
        inputs (list): Its resolved inputs.
    """

    def __init__(self, connector, inputs: Sequence) -> None:
        self.connector = connector
        self.inputs = list(inputs)
        self.shape = torch.Size(connector.output_shape(*self.inputs))
        self._used = False

    @property
    def device(self) -> torch.device:
        """torch.device: Where the input lies."""
        return self.inputs[0].device

    def dim(self) -> int:
        """int: Dimensions of the map (4)."""
        return len(self.shape)

    def size(self, dim: int) -> int:
        """int: ``shape[dim]``."""
        return self.shape[dim]

    def at(self, batch_idx: Tensor, pixel_idx: Tensor) -> Tensor:
        """``map.flatten(2)[batch_idx, :, pixel_idx]``, (M, C).

        Args:
            batch_idx (Tensor): (M,) image indices.
            pixel_idx (Tensor): (M,) flat pixel indices (``h * W + w``),
                distinct (image, pixel) pairs.
        """
        if self._used:
            raise RuntimeError('a PixelwiseMap is evaluated once per step '
                               '(the connector would update its running '
                               'statistics twice)')
        self._used = True
        return self.connector.forward_at(*self.inputs, batch_idx, pixel_idx)

    def zero(self) -> Tensor:
        """A 0 connected to the connector's graph (its statistics computed
        as the full map's would be), for a loss with nothing to compare."""
        empty = torch.zeros(0, dtype=torch.long, device=self.device)
        return self.at(empty, empty).sum() * 0.0

    def __repr__(self) -> str:
        return (f'PixelwiseMap({type(self.connector).__name__}, '
                f'shape={tuple(self.shape)})')


def _parse_one(ref: str, owner: str, names: Mapping[str, Sequence[str]]):
    if not isinstance(ref, str):
        raise TypeError(f'{owner}: input references must be strings, got '
                        f'{type(ref).__name__} {ref!r}')
    if ref in DATA_FIELDS:
        return InputRef('data', ref)
    kind, dot, name = ref.partition('.')
    if not dot or kind not in _PREFIXES:
        raise ValueError(
            f"{owner}: invalid input reference {ref!r}: expected 's.<name>', "
            f"'t.<name>', 'c.<name>' or one of {list(DATA_FIELDS)}")
    if name not in names[kind]:
        raise ValueError(
            f'{owner}: input {ref!r} names no {_PREFIXES[kind]} {name!r}; '
            f'defined: {list(names[kind])}')
    return InputRef(kind, name)


def parse_input_refs(spec: RefSpec, owner: str,
                     names: Mapping[str, Sequence[str]]
                     ) -> Union[InputRef, List[InputRef]]:
    """Parse and check one reference or a list of references.

    Args:
        spec (str | Sequence[str]): ``'s.logits'`` or
            ``['s.feat1', 's.feat2']``.
        owner (str): What the reference belongs to, for error messages
            (e.g. ``"loss 'loss_kd' input 'preds_S'"``).
        names (Mapping[str, Sequence[str]]): Known names for the kinds
            ``'s'``, ``'t'`` and ``'c'``.

    Returns:
        InputRef | list[InputRef]: The parsed reference(s).
    """
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ValueError(f'{owner}: the list of references is empty')
        return [_parse_one(ref, owner, names) for ref in spec]
    return _parse_one(spec, owner, names)


def check_forward_arguments(fn: Callable, bound: Sequence[str],
                            owner: str) -> None:
    """Check that ``bound`` argument names fit the signature of ``fn``.

    Args:
        fn (Callable): Usually ``loss_module.forward``.
        bound (Sequence[str]): The argument names a config binds.
        owner (str): Loss name, for error messages.
    """
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [n for n in bound if n not in accepted]
    if unknown:
        raise ValueError(f'{owner}: inputs {unknown} are not arguments of '
                         f'{fn.__qualname__}(); its arguments: {accepted}')
    required = [n for n in accepted if params[n].default is params[n].empty]
    missing = [n for n in required if n not in bound]
    if missing:
        raise ValueError(f'{owner}: inputs must bind the required arguments '
                         f'{missing} of {fn.__qualname__}()')


def gather_data_field(name: str, data_samples: Sequence,
                      device: torch.device) -> Tensor:
    """Collect ``gt_label``, ``gt_mask`` or ``sample_idx`` for a batch.

    Args:
        name (str): One of :data:`DATA_FIELDS`.
        data_samples (Sequence): mmpretrain ``DataSample`` or mmseg
            ``SegDataSample`` objects.
        device (torch.device): Where the result goes.

    Returns:
        Tensor: ``gt_label`` (B,) long, ``gt_mask`` (B, 1, H, W) float,
        ``sample_idx`` (B,) long.
    """
    if not data_samples:
        raise ValueError(f'input {name!r} needs data samples, got none')
    if name == 'gt_label':
        labels = [_field(ds, 'gt_label', 'classification') for ds in
                  data_samples]
        if any(label.numel() != 1 for label in labels):
            raise ValueError("input 'gt_label' needs one class index per "
                             'sample (single-label classification)')
        return torch.cat([label.reshape(1) for label in labels]).to(
            device=device, dtype=torch.long)
    if name == 'gt_mask':
        masks = [_field(ds, 'gt_sem_seg', 'segmentation').data
                 for ds in data_samples]
        masks = [m if m.dim() == 3 else m.unsqueeze(0) for m in masks]
        return torch.stack(masks).to(device=device, dtype=torch.float32)
    if name == 'sample_idx':
        if any('sample_idx' not in ds.metainfo for ds in data_samples):
            raise KeyError(
                "input 'sample_idx' needs 'sample_idx' in the metainfo of "
                'every data sample: add it to meta_keys of the packing '
                'transform (PackSegInputs does not keep it by default)')
        return torch.as_tensor([int(ds.metainfo['sample_idx'])
                                for ds in data_samples],
                               dtype=torch.long, device=device)
    raise ValueError(f'unknown data field {name!r}; expected one of '
                     f'{list(DATA_FIELDS)}')


def _field(data_sample, key: str, task: str):
    value = getattr(data_sample, key, None)
    if value is None:
        raise KeyError(f'the data samples have no {key!r} ({task} samples '
                       f'carry it); choose the data input that fits the task')
    return value


def resolve_all(spec: Union[InputRef, List[InputRef]],
                resolve: Callable[[InputRef], object]):
    """Apply ``resolve`` to one reference or to each of a list.

    Args:
        spec (InputRef | list[InputRef]): Parsed reference(s).
        resolve (Callable): Maps one reference to its value.

    Returns:
        The value, or the list of values.
    """
    if isinstance(spec, list):
        return [resolve(ref) for ref in spec]
    return resolve(spec)
