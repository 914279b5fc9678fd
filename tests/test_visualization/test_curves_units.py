# Copyright (c) medproto contributors. All rights reserved.
"""plot_curves: x-axis unit and the curriculum switch."""
import json

from medproto.visualization.curves import (curriculum_switches, load_scalars,
                                           plot_curves, step_unit)


def _write(path, records):
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return str(path)


def test_switch_and_units(tmp_path):
    train = [dict(iter=i, step=i, loss=1.0 / i,
                  curriculum_stage=0 if i < 6 else 1) for i in range(1, 11)]
    seg = _write(tmp_path / 'seg.json', train + [dict(Dice=10.0, step=10)])
    records = load_scalars(seg)
    assert curriculum_switches(records) == [(6, 1)]
    assert step_unit(records, 'loss') == 'iteration'
    assert step_unit(records, 'Dice') == 'iteration'  # step 10 > no epoch
    epoch_log = [dict(iter=i, epoch=1 + i // 5, step=i, loss=1.0)
                 for i in range(1, 11)] + [dict(top1=50.0, step=2)]
    cls = _write(tmp_path / 'cls.json', epoch_log)
    assert step_unit(load_scalars(cls), 'top1') == 'epoch'
    assert step_unit(load_scalars(cls), 'loss') == 'iteration'
    out = tmp_path / 'c.png'
    plotted = plot_curves([seg], ['loss', 'curriculum_stage'], str(out))
    assert out.is_file() and plotted['loss']
