"""`tenderbot init [FILE]`: write the commented example config, shipped inside the package.

The example is package data (``bot/config.example.toml``), so a `pip install` or `pipx`
user has it too; the repository's top-level copy is kept identical by a test.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from bot.config_table import ConfigError

EXAMPLE_NAME = "config.example.toml"


def example_config() -> str:
    """The commented example configuration, as shipped."""
    return (files("bot") / EXAMPLE_NAME).read_text(encoding="utf-8")


def write_example_config(file: str) -> Path:
    """Write the example config to `file`; never overwrites.

    Raises:
        ConfigError: `file` exists, its folder is missing, or it cannot be written.
    """
    path = Path(file).expanduser()
    if not path.parent.is_dir():
        raise ConfigError(f"{file}: no folder {path.parent} (create it first)")
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(example_config())
    except FileExistsError:
        raise ConfigError(
            f"{file}: already exists; tenderbot init never overwrites a config "
            "(name another file, or remove this one first)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot write: {exc.strerror or exc}") from None
    return path
