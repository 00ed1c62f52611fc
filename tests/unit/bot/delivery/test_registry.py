"""The channel-kind registry: kinds are found by module, read their own keys, name their secrets."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, check_secrets, parse_config
from bot.delivery.notifiers.registry import channel_kind, kind_names
from bot.redaction import config_secrets

HEAD = '[bot]\ndatabase = "t.db"\n'


def test_every_notifier_module_that_declares_a_kind_is_listed():
    names = kind_names()
    assert {"console", "slack", "telegram"} <= set(names)
    assert "content" not in names and "registry" not in names
    for name in names:
        assert channel_kind(name).name == name


def test_an_unknown_kind_names_the_file_the_table_and_the_kinds_there_are(tmp_path):
    text = HEAD + '[[channels]]\nname = "x"\nkind = "fax"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "c.toml")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'c.toml'}: channels[0] (x).kind: must be one of ")
    assert "console, " in message and "'fax'" in message


@pytest.mark.parametrize("kind", ["content", "registry", "__init__", "../x", "Console"])
def test_a_module_without_a_kind_is_not_a_kind(kind):
    with pytest.raises(KeyError):
        channel_kind(kind)


def test_a_kind_reads_its_own_keys_and_refuses_others(tmp_path):
    text = HEAD + '[[channels]]\nname = "s"\nkind = "slack"\ntoken_env = "T"\n'
    text += 'channel = "C1"\nto = 1\n'
    with pytest.raises(ConfigError, match=r"channels\[0\] \(s\)\.to: unknown key"):
        parse_config(text, tmp_path / "c.toml")


def test_declared_secrets_are_checked_and_redacted(tmp_path, monkeypatch):
    text = HEAD + '[[channels]]\nname = "s"\nkind = "slack"\ntoken_env = "TB_T"\nchannel = "C1"\n'
    config = parse_config(text, tmp_path / "c.toml")
    assert config.channels[0].secret_envs == (("token_env", "TB_T"),)
    with pytest.raises(ConfigError, match=r"channels \(s\)\.token_env: environment variable TB_T"):
        check_secrets(config, {})
    monkeypatch.setenv("TB_T", "xoxb-secret-value")
    assert config_secrets(config) == ["xoxb-secret-value"]
