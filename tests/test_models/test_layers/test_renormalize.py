# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch

from medproto.models.layers import Renormalize


def test_maps_one_normalisation_onto_the_other():
    img = torch.rand(2, 3, 4, 5) * 255
    mean_in, std_in = (10.0, 20.0, 30.0), (2.0, 3.0, 4.0)
    mean_out, std_out = (127.5, ) * 3, (127.5, ) * 3
    layer = Renormalize(mean_in, std_in, mean_out, std_out)
    x = (img - torch.tensor(mean_in).view(1, 3, 1, 1)) / torch.tensor(
        std_in).view(1, 3, 1, 1)
    torch.testing.assert_close(layer(x), (img - 127.5) / 127.5)
    assert layer.state_dict() == {}


@pytest.mark.parametrize('args,match', [
    (((0, 0), (1, 1, 1), (0, 0, 0), (1, 1, 1)), 'std_in must have 2'),
    (((0, 0, 0), (1, 0, 1), (0, 0, 0), (1, 1, 1)), 'std_in must be > 0'),
])
def test_bad_statistics_name_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        Renormalize(*args)
