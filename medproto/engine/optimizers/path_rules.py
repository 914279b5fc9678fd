# Copyright (c) medproto contributors. All rights reserved.
"""Matching of dotted module / parameter paths against path patterns.

A pattern is a dotted module path whose components may use shell wildcards
(``*``, ``?``, ``[seq]``); it matches a name when its components match the
*leading* components of the name one by one. So ``'backbone.fusions'``
matches ``'backbone.fusions.0.gate.weight'`` but not
``'backbone.fusions_old.w'``, and ``'head.fc'`` does not match
``'backbone.swin_stages.0.blocks.0.mlp.fc1.weight'`` -- unlike mmengine's
``custom_keys``, which are substring matches.
"""
from fnmatch import fnmatchcase
from typing import Optional, Sequence


def validate_pattern(pattern: str) -> str:
    """Check a path pattern and return it.

    Args:
        pattern (str): Dotted path pattern, e.g. ``'backbone.fusions.*'``.

    Returns:
        str: The pattern.
    """
    if not isinstance(pattern, str) or not pattern or any(
            not part for part in pattern.split('.')):
        raise ValueError('a path pattern must be a non-empty dotted path '
                         f'without empty components, got {pattern!r}')
    return pattern


def match_path(pattern: str, name: str) -> bool:
    """Whether ``pattern`` matches the leading components of ``name``.

    Args:
        pattern (str): Dotted path pattern (shell wildcards per component).
        name (str): Dotted module or parameter name.

    Returns:
        bool: True if every pattern component matches the name component at
        the same position.
    """
    parts = pattern.split('.')
    names = name.split('.')
    return len(parts) <= len(names) and all(
        fnmatchcase(n, p) for p, n in zip(parts, names))


def first_match(patterns: Sequence[str], name: str) -> Optional[int]:
    """Index of the first pattern matching ``name``, or None.

    Args:
        patterns (Sequence[str]): Patterns in priority order.
        name (str): Dotted module or parameter name.

    Returns:
        int | None: The index, None if no pattern matches.
    """
    for i, pattern in enumerate(patterns):
        if match_path(pattern, name):
            return i
    return None
