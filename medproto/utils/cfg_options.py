# Copyright (c) medproto contributors. All rights reserved.
"""Check ``--cfg-options`` keys against a config before anything is built."""
import difflib
import inspect
from typing import Any, Callable, List, Mapping, Optional, Sequence

from mmengine.config import Config

__all__ = ['check_cfg_options']

#: Top-level keys the runner / tools read after the file is evaluated.
_RUNTIME_KEYS = {
    'runner_type', 'custom_imports', 'default_scope', 'model_wrapper_cfg',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'compile',
    'strategy', 'gpu_ids', 'dist_params', 'data_root', 'sync_bn'
}


def _runner_keys() -> set:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) | _RUNTIME_KEYS


def _close(name: str, candidates: Sequence[Any]) -> List[str]:
    names = [c for c in candidates if isinstance(c, str)]
    return difflib.get_close_matches(name, names, n=1, cutoff=0.75)


def _check_key(cfg: Config, key: str) -> None:
    """Raise ``ConfigError`` when ``key`` misses the config's structure."""
    from .cli import ConfigError
    parts = key.split('.')
    node: Any = cfg._cfg_dict
    for i, part in enumerate(parts):
        where = '.'.join(parts[:i])
        if isinstance(node, (list, tuple)):
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            raise ConfigError(
                f"--cfg-options {key}: '{where}' is a list of {len(node)} "
                f"entries; '{part}' is not an index in it "
                f'(0..{len(node) - 1})')
        if not isinstance(node, Mapping):
            return  # a new dict replaces a scalar: mmengine's merge allows
        if part in node:
            node = node[part]
            continue
        if i == 0 and part in _runner_keys():
            return  # a Runner setting the config leaves at its default
        close = _close(part, list(node.keys()))
        place = f"'{where}'" if where else 'the top level'
        if close:
            suggestion = '.'.join(parts[:i] + [close[0]])
            raise ConfigError(
                f"--cfg-options {key}: the config has no key '{part}' in "
                f"{place}; did you mean '{suggestion}'?")
        if i < len(parts) - 1:
            raise ConfigError(
                f"--cfg-options {key}: the config has no key '{part}' in "
                f'{place} (keys there: '
                f'{", ".join(sorted(map(str, node.keys()))[:12])})')
        return  # a new leaf setting


def _leaves_with(node: Any, value: Any, prefix: str = '') -> List[str]:
    """Config keys (below the top level) whose value equals ``value``."""
    found = []
    if isinstance(node, Mapping):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return found
    for k, v in items:
        path = f'{prefix}.{k}' if prefix else str(k)
        if isinstance(v, (Mapping, list, tuple)):
            found += _leaves_with(v, value, path)
        elif prefix and type(v) is type(value) and v == value:
            found.append(path)
    return found


def check_cfg_options(cfg: Config,
                      options: Mapping[str, Any],
                      warn: Optional[Callable[[str], None]] = None
                      ) -> List[str]:
    """Check ``--cfg-options`` keys before they are merged into ``cfg``.

    A key must follow the config's nesting; a missing key with a close
    match (``train_cfg.max_iter``, ``default_hooks.checkpoint.intervall``)
    is an error naming the match, a missing intermediate key is an error,
    a new last key without a close match is allowed (a new setting). A
    top-level key that the runner does not read (e.g. ``max_iters``) is a
    variable the config file already used when it was read; overriding it
    changes nothing else, and a warning names the keys that hold its value.
    The warnings of all options come first (passed to ``warn`` as they are
    found), then the first misspelt key raises: a user sees everything that
    is wrong with the command line in one try.

    Args:
        cfg (Config): The config, before the options are merged.
        options (Mapping): ``--cfg-options`` as parsed by ``DictAction``.
        warn (Callable[[str], None], optional): Called with each warning
            before any error is raised. Defaults to None.

    Returns:
        list[str]: Warnings, one line each.

    Raises:
        ConfigError: For a misspelt or misplaced key.
    """
    warnings = [_variable_warning(cfg, key) for key in options]
    warnings = [w for w in warnings if w is not None]
    for warning in warnings:
        if warn is not None:
            warn(warning)
    for key in options:
        _check_key(cfg, key)
    return warnings


def _variable_warning(cfg: Config, key: str) -> Optional[str]:
    """The warning for a top-level variable ``key`` the file already used,
    or None."""
    if '.' in key or key not in cfg or key in _runner_keys():
        return None
    old = cfg[key]
    users = _leaves_with(cfg._cfg_dict, old) if isinstance(
        old, (int, float, str)) else []
    # keys named like the variable first (train_cfg.max_iters)
    users.sort(key=lambda u: u.rsplit('.', 1)[-1] != key)
    hint = (f"; set the keys that used it instead, e.g. "
            f"{' '.join(f'{u}=...' for u in users[:4])}" if users else '')
    return (f"--cfg-options {key}: '{key}' is a variable the config file "
            f'already used when it was read ({key}={old!r}); changing it '
            f'changes no other setting{hint}')
