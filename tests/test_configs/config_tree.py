# Copyright (c) medproto contributors. All rights reserved.
"""The shipped configs, their ``_base_`` depth and their resolved content in
a canonical form (sorted keys, tuples marked, the checkout's path replaced),
shared by the config tests and ``dump_resolved``."""
import ast
import glob
import json
import os.path as osp
from typing import Any, Dict, List

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(ROOT, 'configs')


def shipped_configs() -> List[str]:
    """Every config under configs/ outside a ``_base_`` folder, relative to
    configs/ (the ablation grid files included)."""
    paths = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    return sorted(
        osp.relpath(path, CONFIG_DIR) for path in paths
        if '_base_' not in osp.relpath(path, CONFIG_DIR).split(osp.sep))


def base_files(path: str) -> List[str]:
    """The files ``path`` names in ``_base_`` (or imports in a
    ``read_base()`` block), as absolute paths."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    found = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            value = ast.literal_eval(node.value)
            names = [value] if isinstance(value, str) else list(value)
            for name in names:
                found.append(Config._get_cfg_path(name, path)[0])
        elif isinstance(node, ast.With):  # with read_base(): from .x import *
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    rel = '../' * (stmt.level - 1) + stmt.module.replace(
                        '.', '/') + '.py'
                    found.append(osp.join(osp.dirname(path), rel))
    return [osp.normpath(p) for p in found]


def base_depth(path: str) -> int:
    """Levels of ``_base_`` below ``path``: 0 for a file without bases,
    else one more than its deepest base."""
    bases = base_files(path)
    return 1 + max(base_depth(b) for b in bases) if bases else 0


def _canonical(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _canonical(v) for k, v in node.items()}
    if isinstance(node, tuple):
        return {'__tuple__': [_canonical(v) for v in node]}
    if isinstance(node, list):
        return [_canonical(v) for v in node]
    if isinstance(node, str):
        return node.replace(ROOT, '<ROOT>')
    if node is None or isinstance(node, (bool, int, float)):
        return node
    return repr(node)


def resolved(name: str) -> Dict[str, Any]:
    """The resolved config of configs/``name`` in canonical form."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    return _canonical(cfg.to_dict())


def dump_resolved(out_dir: str) -> None:
    """Write ``<name>.json`` (sorted keys, '/' as '__') for every shipped
    config."""
    import os
    os.makedirs(out_dir, exist_ok=True)
    for name in shipped_configs():
        target = osp.join(out_dir, name.replace(osp.sep, '__') + '.json')
        with open(target, 'w') as f:
            json.dump(resolved(name), f, indent=1, sort_keys=True)
            f.write('\n')


def _differences(old: Any, new: Any, path: str = '') -> List[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if key not in old:
                found.append(f'+ {path}.{key}')
            elif key not in new:
                found.append(f'- {path}.{key}')
            else:
                found += _differences(old[key], new[key], f'{path}.{key}')
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(
            new):
        return [d for i, (a, b) in enumerate(zip(old, new))
                for d in _differences(a, b, f'{path}[{i}]')]
    return [] if old == new else [
        f'! {path}: {json.dumps(old)[:120]} -> {json.dumps(new)[:120]}']


def compare_dumps(old_dir: str, new_dir: str) -> int:
    """Print the differences between two dumps; return how many configs
    differ."""
    import os
    changed = 0
    names = sorted(set(os.listdir(old_dir)) | set(os.listdir(new_dir)))
    for name in names:
        paths = [osp.join(d, name) for d in (old_dir, new_dir)]
        if not all(osp.isfile(p) for p in paths):
            where = old_dir if osp.isfile(paths[0]) else new_dir
            print(f'{name}: only in {where}')
            changed += 1
            continue
        old, new = (json.load(open(p)) for p in paths)
        found = _differences(old, new)
        if found:
            changed += 1
            print(f'{name}:')
            print('\n'.join(f'  {line}' for line in found))
    return changed


if __name__ == '__main__':
    # python tests/test_configs/config_tree.py dump OUT_DIR
    # python tests/test_configs/config_tree.py compare OLD_DIR NEW_DIR
    import sys
    import medproto  # noqa: F401  (medproto:: paths)
    if sys.argv[1:2] == ['dump']:
        dump_resolved(sys.argv[2])
    elif sys.argv[1:2] == ['compare']:
        sys.exit(1 if compare_dumps(sys.argv[2], sys.argv[3]) else 0)
    else:
        sys.exit('usage: config_tree.py dump OUT_DIR | compare OLD NEW')
