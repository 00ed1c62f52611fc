"""Meta-tests: import layering, README covers every CLI command."""

from __future__ import annotations

import ast
import re

from bot.cli_parser import build_parser as _parser
from tests.conftest import ROOT

# sources <- rules <- bot: a package may import only those to its left.
ALLOWED = {
    "sources": {"sources"},
    "rules": {"sources", "rules"},
    "bot": {"sources", "rules", "bot"},
}


def imported_packages(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_imports_flow_one_way():
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = {p for p in imported_packages(path) if p in ALLOWED and p not in allowed}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def cli_commands():
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        nested = [
            a for a in subparser._actions if getattr(a, "choices", None) and a.dest == "subcommand"
        ]
        if nested:
            for child in nested[0].choices:
                yield f"tenderbot {name} {child}"
        else:
            yield f"tenderbot {name}"


def test_readme_documents_every_cli_command():
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in cli_commands() if not re.search(re.escape(c) + r"\b", readme)]
    assert not missing, f"README.md does not document: {missing}"


def test_every_public_module_has_a_docstring():
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no docstring"


def test_the_readme_rule_set_example_loads_and_passes_its_examples():
    from pathlib import Path

    from rules.examples import run_examples
    from rules.loader import parse_rule_set

    readme = (ROOT / "README.md").read_text()
    block = readme.split("To write your own", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    rule_set = parse_rule_set(block, "README.md", Path("."))
    results = run_examples(rule_set)
    assert len(results) == 2 and all(r.passed for r in results), [r.detail for r in results]


def test_config_example_uses_only_shipped_rule_sets():
    from bot.config import load_config
    from bot.delivery.routing import Router

    Router(load_config(ROOT / "config.example.toml"))


def test_every_commented_example_in_config_example_loads_when_uncommented(monkeypatch, tmp_path):
    from bot.config import check_secrets, load_config
    from bot.delivery.routing import Router

    text = (ROOT / "config.example.toml").read_text()
    keys = r"\[\[sources\]\]|\[\[channels\]\]|\[\[bots\]\]|\[report\]|[a-z_]+ = "
    uncommented = re.sub(rf"(?m)^# ({keys})", r"\1", text)
    path = tmp_path / "all.toml"
    path.write_text(uncommented)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "publisher-intermediate.pem").write_text("")  # the example's path
    config = load_config(path)
    kinds = {s.kind for s in config.sources}
    assert kinds == {"contracts_finder", "find_a_tender", "pcs", "sell2wales", "feed", "html"}
    assert {c.kind for c in config.channels} == {
        "console",
        "slack",
        "telegram",
        "email",
        "webhook",
        "teams",
    }
    assert config.report is not None and config.report.every is not None
    assert [b.kind for b in config.bots] == ["telegram", "slack"]
    monkeypatch.setenv("SLACK_APP_TOKEN", "z")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "x")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "y")
    for name in ("SMTP_USER", "SMTP_PASSWORD", "WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "w")
    check_secrets(config)
    Router(config)


def test_the_wheel_includes_every_subpackage():
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packaged = set(find_packages(where=str(ROOT), include=include))
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "sources", "rules")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk and on_disk <= packaged, f"left out of the wheel: {on_disk - packaged}"
