# Copyright (c) medproto contributors. All rights reserved.
import pytest
import torch
from torch import nn

from medproto.distill.recorders import (RecorderManager, RecordSource,
                                        parse_record_source)


class TupleOut(nn.Module):

    def forward(self, x):
        return x, x * 2


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.act = nn.ReLU(inplace=True)
        self.pair = TupleOut()
        self.head = nn.Linear(2, 3)

    def forward(self, x):
        x = self.act(self.conv(x))
        a, b = self.pair(x)
        return self.head((a + b).mean((2, 3)))


def test_parse_record_source():
    assert parse_record_source('backbone.layer2') == RecordSource(
        'backbone.layer2', False, ())
    assert parse_record_source('head.fc:input') == RecordSource(
        'head.fc', True, (0, ))
    assert parse_record_source('head.fc:input[1]') == RecordSource(
        'head.fc', True, (1, ))
    assert parse_record_source('neck[0][-1]') == RecordSource(
        'neck', False, (0, -1))
    for bad in ('', 'a..b', 'a:output', 'a[x]', 'a[0]:input', 3):
        with pytest.raises(ValueError, match='invalid recorder source'):
            parse_record_source(bad)


def test_records_output_input_and_tuple_element():
    net = Net()
    manager = RecorderManager(
        dict(conv='conv', pooled='head:input', second='pair[1]',
             before_relu='act:input'))
    manager.attach(net)
    x = torch.randn(2, 1, 4, 4)
    with manager.recording():
        out = net(x)
        conv = net.conv(x)
        assert torch.allclose(manager.get('conv'), conv)
        # The in-place ReLU's input is cloned before it is overwritten.
        assert (manager.get('before_relu') < 0).any()
        assert torch.allclose(manager.get('before_relu'), conv)
        assert torch.allclose(manager.get('second'), 2 * conv.relu())
        assert manager.get('pooled').shape == (2, 2)
        assert torch.allclose(net.head(manager.get('pooled')), out)
    # Values are dropped when the recording ends.
    with pytest.raises(RuntimeError, match='recorded nothing'):
        manager.get('conv')


def test_nothing_recorded_outside_recording():
    net = Net()
    manager = RecorderManager(dict(conv='conv'))
    manager.attach(net)
    net(torch.randn(1, 1, 2, 2))
    assert not manager.recorders['conv'].recorded
    manager.detach()
    with manager.recording():
        net(torch.randn(1, 1, 2, 2))
        with pytest.raises(RuntimeError, match="module 'conv' did not run"):
            manager.get('conv')


def test_unknown_path_names_the_path():
    manager = RecorderManager(dict(feat='con'), owner='teacher')
    with pytest.raises(ValueError, match=r"teacher recorder 'feat'.*'con'"
                       r".*close matches: \['conv'\]"):
        manager.attach(Net())


def test_index_errors():
    net = Net()
    manager = RecorderManager(dict(bad='conv[0]'))
    manager.attach(net)
    with manager.recording(), pytest.raises(TypeError,
                                            match="recorder 'bad'.*Tensor"):
        net(torch.randn(1, 1, 2, 2))
    net = Net()
    manager = RecorderManager(dict(far='pair[5]'))
    manager.attach(net)
    with manager.recording(), pytest.raises(IndexError,
                                            match='index 5 is out of range'):
        net(torch.randn(1, 1, 2, 2))


def test_get_unknown_name_and_bad_sources():
    manager = RecorderManager(dict(a='conv'))
    with pytest.raises(KeyError, match="no student recorder named 'b'"):
        manager.get('b')
    with pytest.raises(TypeError, match='must be a dict'):
        RecorderManager(['conv'])
    with pytest.raises(ValueError, match='identifiers'):
        RecorderManager({'a.b': 'conv'})
