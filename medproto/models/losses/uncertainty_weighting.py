# Copyright (c) medproto contributors. All rights reserved.
"""Homoscedastic-uncertainty loss weighting (Kendall et al., CVPR 2018)."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from medproto.registry import MODELS

LossValue = Union[Tensor, Sequence[Tensor]]


def log_var_key(name: str) -> str:
    """Log key of a term's log-variance, free of the substring ``'loss'``.

    mmengine's ``parse_losses`` sums every entry whose key contains
    ``'loss'``; the log-variances are logged only, so ``'loss'`` becomes
    ``'log_var'`` (``'decode.loss_ce'`` -> ``'decode.log_var_ce'``).
    """
    return name.replace('loss', 'log_var')


@MODELS.register_module()
class UncertaintyWeighting(nn.Module):
    """Learn one log-variance per loss term and weight the terms by it.

    With ``s_i = log sigma_i^2`` (a learnable scalar per term)::

        total = sum_i 0.5 * (exp(-s_i) * L_i + s_i)

    (Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to
    Weigh Losses for Scene Geometry and Semantics", CVPR 2018). This is the
    paper's regression form ``L_i / (2 sigma_i^2) + log sigma_i``, used for
    every term: it is numerically stable, and the classification form
    ``L_i / sigma_i^2 + log sigma_i`` only differs by a factor 2 on the
    data term, which the learned ``s_i`` absorbs. Note that ``s_i`` can go
    negative, so the total can be below the sum of the raw losses. Keep
    weight decay off the ``log_vars`` parameter.

    Only entries whose key contains ``'loss'`` are weighted (mmengine's
    convention); other entries (e.g. accuracies) are passed through. Loss
    entries without a term are added unweighted. Terms may be missing from
    a call (a loss switched off); their ``s_i`` then gets no gradient.

    Args:
        names (Sequence[str], optional): Keys of the weighted terms, each
            containing ``'loss'``.
        num_terms (int, optional): Instead of ``names``: the number of
            terms; the first ``num_terms`` loss keys of the first call are
            bound to them (in order) and kept in the checkpoint.
        init_log_var (float): Initial ``s_i``. Defaults to 0.0 (weights
            0.5).
    """

    def __init__(self,
                 names: Optional[Sequence[str]] = None,
                 num_terms: Optional[int] = None,
                 init_log_var: float = 0.0) -> None:
        super().__init__()
        if (names is None) == (num_terms is None):
            raise ValueError(
                'UncertaintyWeighting needs exactly one of names (e.g. '
                "names=['decode.loss_ce', 'loss_kd']) and num_terms, got "
                f'names={names!r}, num_terms={num_terms!r}')
        if names is not None:
            if isinstance(names, str) or not names or any(
                    not isinstance(n, str) or 'loss' not in n for n in names):
                raise ValueError('names must be a non-empty list of loss keys'
                                 " that contain 'loss' (so mmengine sums "
                                 f'them), got {names!r}')
            if len(set(names)) != len(names):
                raise ValueError(f'names must be unique, got {names!r}')
            num_terms = len(names)
        elif isinstance(num_terms, bool) or not isinstance(
                num_terms, int) or num_terms < 1:
            raise ValueError(
                f'num_terms must be an int >= 1, got {num_terms!r}')
        if isinstance(init_log_var, bool) or not isinstance(
                init_log_var, (int, float)):
            raise ValueError(
                f'init_log_var must be a number, got {init_log_var!r}')
        self.names: Optional[List[str]] = None if names is None else list(
            names)
        self.num_terms = num_terms
        self._lazy_names = names is None
        self.log_vars = nn.Parameter(
            torch.full((num_terms, ), float(init_log_var)))

    def _bind_names(self, losses: Mapping[str, Any]) -> None:
        """Bind the first ``num_terms`` loss keys (``num_terms`` mode)."""
        loss_keys = [k for k in losses if 'loss' in k]
        if len(loss_keys) < self.num_terms:
            raise ValueError(f'UncertaintyWeighting(num_terms='
                             f'{self.num_terms}) got only {len(loss_keys)} '
                             f'loss entries: {loss_keys}')
        self.names = loss_keys[:self.num_terms]

    def forward(
        self, losses: Mapping[str, LossValue]
    ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Weight the loss terms.

        Args:
            losses (Mapping[str, Tensor | Sequence[Tensor]]): Loss dict as
                returned by mmengine models (lists are summed).

        Returns:
            tuple[Tensor, dict[str, Tensor]]: The total loss (scalar) and a
            dict with every weighted term ``0.5 * (exp(-s_i) L_i + s_i)``
            under its own key (these sum to the total with the unweighted
            loss entries), the detached ``s_i`` under
            :func:`log_var_key` keys and the passed-through entries.
        """
        if self.names is None:
            self._bind_names(losses)
        index = {name: i for i, name in enumerate(self.names)}
        total = self.log_vars.new_zeros(())
        out: Dict[str, Tensor] = {}
        for key, value in losses.items():
            if isinstance(value, (list, tuple)):
                value = sum(value)
            if 'loss' not in key:
                out[key] = value
                continue
            if key in index:
                s = self.log_vars[index[key]]
                value = 0.5 * (torch.exp(-s) * value + s)
                out[log_var_key(key)] = s.detach()
            out[key] = value
            total = total + value
        return total, out

    # Names bound lazily (``num_terms`` mode) travel in the state dict under
    # ``<prefix>names`` (a list of str, weights-only loadable). Names given
    # in the config are not stored: ``torch.jit.trace`` (FLOP counting,
    # ONNX) rejects modules whose state holds anything but tensors.
    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        if self.names is not None and self._lazy_names:
            destination[prefix + 'names'] = list(self.names)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        names = state_dict.pop(prefix + 'names', None)
        if names is not None:
            if len(names) != self.num_terms:
                error_msgs.append(
                    f'checkpoint has {len(names)} uncertainty terms, this '
                    f'module {self.num_terms}')
            else:
                self.names = list(names)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self) -> str:
        return f'names={self.names}, num_terms={self.num_terms}'
