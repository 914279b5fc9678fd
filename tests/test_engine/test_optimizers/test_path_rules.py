# Copyright (c) medproto contributors. All rights reserved.
import pytest

from medproto.engine.optimizers.path_rules import (first_match, match_path,
                                                   validate_pattern)


@pytest.mark.parametrize('pattern,name,expected', [
    ('backbone', 'backbone.conv.weight', True),
    ('backbone', 'backbone_ema.conv.weight', False),
    ('head', 'head.fc.weight', True),
    ('fc', 'backbone.swin_stages.0.blocks.0.mlp.fc1.weight', False),
    ('head.fc', 'head.fc1.weight', False),
    ('backbone.fusions.*.enhancement', 'backbone.fusions.2.enhancement.s',
     True),
    ('backbone.fusions.*.enhancement', 'backbone.fusions.2.gate.weight',
     False),
    ('backbone.fusions', 'backbone.fusions', True),
    ('backbone.fusions.0', 'backbone', False),
])
def test_match_path(pattern, name, expected):
    assert match_path(pattern, name) is expected


def test_first_match_order_and_validation():
    patterns = ['backbone.fusions', 'backbone', 'head']
    assert first_match(patterns, 'backbone.fusions.0.w') == 0
    assert first_match(patterns, 'backbone.stem.w') == 1
    assert first_match(patterns, 'neck.w') is None
    for bad in ('', 'a..b', '.a', 3):
        with pytest.raises(ValueError, match='path pattern'):
            validate_pattern(bad)
