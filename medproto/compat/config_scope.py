# Copyright (c) medproto contributors. All rights reserved.
"""Let mmengine configs inherit medproto's shipped configs by scope.

``_base_ = 'medproto::maunet/maunet_kd_kvasir.py'`` names a config shipped
with medproto, as ``'mmseg::...'`` names one of mmseg's. mmengine 0.10
resolves such paths itself only for the OpenMMLab packages it lists
(``mmengine.config.utils.MODULE2PACKAGE``), finds a package's configs in
``<site-packages>/<package>/.mim/configs`` (missing for an editable
install), and would tag every inherited dict with ``_scope_='medproto'``,
the wrong registry for a plugin whose configs build in mmseg's or
mmpretrain's scope (their own ``default_scope``) and reach medproto's parts
with the ``medproto.`` prefix. :func:`install` therefore resolves
``medproto::`` base paths to :func:`medproto.utils.paths.shipped_config_dir`
without a scope and leaves every other path to mmengine.
"""
from mmengine.config import Config

__all__ = ['install']

_PREFIX = 'medproto::'


def _wrap(get_cfg_path):
    """``Config._get_cfg_path`` with ``medproto::`` paths resolved here."""

    def _get_cfg_path(cfg_path, filename):
        if cfg_path.startswith(_PREFIX):
            from medproto.utils.paths import resolve_config_path
            return resolve_config_path(cfg_path, key='_base_'), None
        return get_cfg_path(cfg_path, filename)

    _get_cfg_path.medproto_scope = True
    return _get_cfg_path


def install() -> None:
    """Patch ``Config._get_cfg_path`` once (idempotent)."""
    current = Config.__dict__.get('_get_cfg_path')
    if current is None:  # an mmengine without this hook: nothing to patch
        return
    function = current.__func__ if isinstance(current, staticmethod) else current
    if getattr(function, 'medproto_scope', False):
        return
    Config._get_cfg_path = staticmethod(_wrap(function))
