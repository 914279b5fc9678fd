# Copyright (c) medproto contributors. All rights reserved.
"""Record what sub-modules of a model compute, by module name.

A distiller reads intermediate results of the student and the teacher
(features, logits, pooled embeddings) without changing their code: every
recorder attaches a forward hook to one sub-module and keeps the last value
it saw while recording is switched on.

A *source* names the module by its dotted path in ``model.named_modules()``
and optionally what to take from it:

* ``'backbone.layer2'``: the module's output;
* ``'head.fc:input'``: its first positional input (``'head.fc:input[1]'``
  for the second one);
* ``'backbone[0]'``: element 0 of a tuple / list output (indices chain:
  ``'neck[0][1]'``).
"""
import difflib
import re
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional

from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = ['RecordSource', 'parse_record_source', 'ModuleRecorder',
           'RecorderManager']

_SOURCE_RE = re.compile(r'^(?P<path>\w+(?:\.\w+)*)(?P<input>:input)?'
                        r'(?P<indices>(?:\[-?\d+\])*)$')
_INDEX_RE = re.compile(r'\[(-?\d+)\]')


class RecordSource(NamedTuple):
    """A parsed recorder source.

    Attributes:
        path (str): Dotted module path, e.g. ``'backbone.layer2'``.
        record_input (bool): Record the module's positional inputs instead of
            its output.
        indices (tuple[int, ...]): Indices applied one after the other to the
            output (or to the tuple of positional inputs).
    """
    path: str
    record_input: bool
    indices: tuple


def parse_record_source(source: str) -> RecordSource:
    """Parse ``'path'``, ``'path:input'``, ``'path[i]'`` or
    ``'path:input[i]'``.

    Args:
        source (str): The source string.

    Returns:
        RecordSource: The module path, whether to record the input, and the
        indices to apply.
    """
    match = _SOURCE_RE.match(source) if isinstance(source, str) else None
    if match is None:
        raise ValueError(
            f'invalid recorder source {source!r}: expected a dotted module '
            "path, optionally followed by ':input' and/or indices, e.g. "
            "'backbone.layer2', 'head.fc:input' or 'backbone[0]'")
    indices = tuple(int(i) for i in _INDEX_RE.findall(match['indices']))
    record_input = match['input'] is not None
    if record_input and not indices:
        indices = (0, )  # the first positional input
    return RecordSource(match['path'], record_input, indices)


class ModuleRecorder:
    """Record the output (or input) of one sub-module with a hook.

    Args:
        name (str): The recorder's name, used in error messages.
        source (str): What to record, see :func:`parse_record_source`.
    """

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source_str = source
        self.source = parse_record_source(source)
        self.enabled = False
        self.data: Any = None
        self.recorded = False
        self._clone_input = False
        self._handle: Optional[RemovableHandle] = None

    def attach(self, model: nn.Module, owner: str) -> None:
        """Find the sub-module in ``model`` and register the hook.

        Args:
            model (nn.Module): The model that holds the module.
            owner (str): ``'student'`` or ``'teacher'``, for error messages.
        """
        module = _find_module(model, self.source.path, owner, self.name)
        if self.source.record_input:
            # A pre-hook sees the input before an in-place module changes it.
            self._handle = module.register_forward_pre_hook(self._input_hook)
            self._clone_input = bool(getattr(module, 'inplace', False))
        else:
            self._handle = module.register_forward_hook(self._output_hook)

    def detach(self) -> None:
        """Remove the hook."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def clear(self) -> None:
        """Forget the recorded value."""
        self.data = None
        self.recorded = False

    def _input_hook(self, module: nn.Module, args: tuple) -> None:
        if self.enabled:
            value = self._select(args, 'positional inputs')
            if self._clone_input and hasattr(value, 'clone'):
                value = value.clone()
            self._store(value)

    def _output_hook(self, module: nn.Module, args: tuple,
                     output: Any) -> None:
        if self.enabled:
            self._store(self._select(output, 'output'))

    def _store(self, value: Any) -> None:
        self.data = value
        self.recorded = True

    def _select(self, value: Any, what: str) -> Any:
        for index in self.source.indices:
            if not isinstance(value, (tuple, list)):
                raise TypeError(
                    f'recorder {self.name!r} ({self.source_str!r}) indexes '
                    f'the {what} of {self.source.path!r}, which is a '
                    f'{type(value).__name__}, not a tuple or list')
            if not -len(value) <= index < len(value):
                raise IndexError(
                    f'recorder {self.name!r} ({self.source_str!r}): index '
                    f'{index} is out of range for the {what} of '
                    f'{self.source.path!r}, which has {len(value)} elements')
            value = value[index]
        return value


def _find_module(model: nn.Module, path: str, owner: str,
                 name: str) -> nn.Module:
    """``model.get_submodule(path)`` with an error that names the path."""
    try:
        return model.get_submodule(path)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n]
        close = difflib.get_close_matches(path, names, n=3)
        hint = (f'; close matches: {close}' if close else
                f'; top-level modules: {[n for n in names if "." not in n]}')
        raise ValueError(
            f'{owner} recorder {name!r}: module path {path!r} does not exist '
            f'in the {owner} ({type(model).__name__}){hint}') from None


class RecorderManager:
    """A named set of :class:`ModuleRecorder` attached to one model.

    Args:
        sources (Mapping[str, str], optional): Recorder name -> source.
            Defaults to None (no recorder).
        owner (str): ``'student'`` or ``'teacher'``, for error messages.
            Defaults to ``'student'``.

    Example:
        >>> manager = RecorderManager(dict(feat='backbone.layer2'))
        >>> manager.attach(model)
        >>> with manager.recording():
        ...     model(x)
        ...     feat = manager.get('feat')
    """

    def __init__(self,
                 sources: Optional[Mapping[str, str]] = None,
                 owner: str = 'student') -> None:
        sources = {} if sources is None else sources
        if not isinstance(sources, Mapping):
            raise TypeError(f'{owner}_recorders must be a dict of name -> '
                            f'module path, got {type(sources).__name__}')
        self.owner = owner
        self.recorders: Dict[str, ModuleRecorder] = {}
        for name, source in sources.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f'{owner} recorder names must be Python '
                                 f'identifiers, got {name!r}')
            self.recorders[name] = ModuleRecorder(name, source)

    @property
    def names(self) -> List[str]:
        """list[str]: The recorder names."""
        return list(self.recorders)

    def attach(self, model: nn.Module) -> None:
        """Register the hooks of every recorder on ``model``.

        Args:
            model (nn.Module): The model whose sub-modules are recorded.
        """
        for recorder in self.recorders.values():
            recorder.attach(model, self.owner)

    def detach(self) -> None:
        """Remove every hook."""
        for recorder in self.recorders.values():
            recorder.detach()

    def clear(self) -> None:
        """Forget every recorded value."""
        for recorder in self.recorders.values():
            recorder.clear()

    @contextmanager
    def recording(self) -> Iterator['RecorderManager']:
        """Record inside the ``with`` block; forget the values on exit, so
        no graph is kept alive between iterations."""
        self.clear()
        for recorder in self.recorders.values():
            recorder.enabled = True
        try:
            yield self
        finally:
            for recorder in self.recorders.values():
                recorder.enabled = False
            self.clear()

    def get(self, name: str) -> Any:
        """The value recorded by ``name`` in the current recording.

        Args:
            name (str): Recorder name.

        Returns:
            The recorded tensor (or whatever the module returned).
        """
        if name not in self.recorders:
            raise KeyError(f'no {self.owner} recorder named {name!r}; '
                           f'defined: {self.names}')
        recorder = self.recorders[name]
        if not recorder.recorded:
            raise RuntimeError(
                f'{self.owner} recorder {name!r} recorded nothing: module '
                f'{recorder.source.path!r} did not run in the last '
                f'{self.owner} forward')
        return recorder.data
