# Copyright (c) medproto contributors. All rights reserved.
import pytest

from medproto.utils.cli import (ConfigError, exception_message,
                                explain_exception, friendly_errors)


@pytest.mark.parametrize('message', [
    "its model has no 'student'",
    "'quoted' at both ends'",
    'say "hi"',
    'plain',
])
def test_key_error_keeps_the_quotes_of_its_message(message):
    assert str(KeyError(message)) != message  # str() adds quotes
    assert exception_message(KeyError(message)) == message
    assert exception_message(ConfigError(message)) == message


def test_explain_exception_keeps_closing_quotes():
    err = ConfigError("cfg.py is not a distiller config: its model has no "
                      "'student'")
    assert explain_exception(err) == str(err)
    err = FileNotFoundError(2, 'No such file or directory', 'x.pth')
    assert explain_exception(err).endswith("'x.pth'")


def test_explain_exception_registry_key_error():
    err = KeyError('NoSuchHead is not in the mmpretrain::model registry. '
                   'Please check whether the value of `NoSuchHead` is '
                   'correct or it was registered as expected.')
    text = explain_exception(err)
    assert text.startswith("unknown type 'NoSuchHead'")
    assert "default_scope 'mmpretrain'" in text


def test_friendly_errors_prints_the_whole_message(capsys, monkeypatch):
    monkeypatch.delenv('MEDPROTO_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_info:
        with friendly_errors():
            raise ConfigError("its model has no 'student'")
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "error: its model has no 'student'\n"
