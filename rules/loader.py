"""Load a rule-set TOML file into a `RuleSet`, validating everything first.

Nothing in a rule file is executed. Any problem raises `RuleFileError` as
``FILE:LINE: what is wrong``, and a file with any problem yields no rule set at all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rules.condition_parser import (
    CONDITION_KEYS,
    STAGES,
    condition_parts,
    parse_condition_key,
    parse_stage,
)
from rules.conditions import All, Condition
from rules.errors import RuleFileError
from rules.lines import LineFinder
from rules.parsing import (
    Path_,
    Problem,
    bool_value,
    check_keys,
    fail,
    number,
    string,
    strings,
    table_value,
    type_name,
)
from rules.ruleset import FILTER, TOPIC, VOCABULARIES, Example, RuleSet, ScoreRule
from rules.text_conditions import Keywords

__all__ = ["CONDITION_KEYS", "STAGES", "load_rule_set", "parse_condition_key", "parse_rule_set"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TOP_KEYS = {
    "name",
    "title",
    "description",
    "curator",
    "version",
    "role",
    "threshold",
    "possible_threshold",
    "require",
    "exclude",
    "score",
    "examples",
}
_EXAMPLE_KEYS = {
    "expect",
    "note",
    "release",
    "ocid",
    "title",
    "description",
    "buyer",
    "buyer_postcode",
    "regions",
    "postcodes",
    "value",
    "value_low",
    "value_high",
    "cpv",
    "stage",
    "days_left",
    "vcse",
    "sme",
    "procedure",
    "years",
    "lots",
    "reserved",
    "regime",
    "below_threshold",
    "notice_type",
}
_LOT_KEYS = {"title", "value", "years", "vcse"}


def _exclusions(value: object) -> tuple[tuple[Condition, ...], tuple[int, ...]]:
    """``[exclude]`` (each key one exclusion) or ``[[exclude]]`` (each table one exclusion).

    Returns the exclusions and the positions of those marked ``spare = false`` (never spared
    for naming a service to people).
    """
    if not isinstance(value, list):
        return tuple(condition_parts(value, ["exclude"])), ()
    exclusions: list[Condition] = []
    firm: list[int] = []
    for index, item in enumerate(value):
        path: list[str | int] = ["exclude", index]
        table = table_value(item, path)
        if "spare" in table and bool_value(table["spare"], [*path, "spare"]) is False:
            firm.append(index)
        parts = condition_parts(table, path, extra=frozenset({"spare"}))
        exclusions.append(parts[0] if len(parts) == 1 else All(tuple(parts)))
    return tuple(exclusions), tuple(firm)


def _score(value: object) -> tuple[ScoreRule, ...]:
    if not isinstance(value, list):
        raise fail(["score"], "expected an array of tables ([[score]])")
    rules = []
    for index, item in enumerate(value):
        path: list[str | int] = ["score", index]
        table = table_value(item, path)
        weight = number(table.get("weight", 1), [*path, "weight"])
        label = string(table["label"], [*path, "label"]) if "label" in table else None
        vocabulary = table.get("vocabulary")
        parts = condition_parts(table, path, extra=frozenset({"weight", "label", "vocabulary"}))
        cond = parts[0] if len(parts) == 1 else All(tuple(parts))
        if vocabulary is not None and (
            vocabulary not in VOCABULARIES or not isinstance(cond, Keywords)
        ):
            raise fail(
                [*path, "vocabulary"],
                'expected "service" or "people", on a rule with one keywords condition',
            )
        rules.append(
            ScoreRule(weight=float(weight), condition=cond, label=label, vocabulary=vocabulary)
        )
    return tuple(rules)


def _examples(value: object, base_dir: Path, lines: LineFinder) -> tuple[Example, ...]:
    if not isinstance(value, list):
        raise fail(["examples"], "expected an array of tables ([[examples]])")
    examples = []
    for index, item in enumerate(value):
        path: list[str | int] = ["examples", index]
        table = table_value(item, path)
        check_keys(table, _EXAMPLE_KEYS, path)
        expect = table.get("expect")
        if expect not in ("match", "possible", "no-match"):
            raise fail([*path, "expect"], 'expected "match", "possible" or "no-match"')
        release = None
        if "release" in table:
            release = base_dir / string(table["release"], [*path, "release"])
            if not release.is_file():
                raise fail([*path, "release"], f"no such file: {release}")
        elif "title" not in table:
            raise fail(path, "give a release file (release = ...) or the notice's fields")
        fields = {k: v for k, v in table.items() if k not in ("expect", "note", "release", "ocid")}
        _check_example_fields(fields, path)
        examples.append(
            Example(
                index=index + 1,
                line=lines.line_of(path),
                expect_match=expect != "no-match",
                expect_tier=None if expect == "no-match" else str(expect),
                fields=fields,
                release=release,
                ocid=string(table["ocid"], [*path, "ocid"]) if "ocid" in table else None,
                note=string(table["note"], [*path, "note"]) if "note" in table else None,
            )
        )
    return tuple(examples)


def _check_example_fields(fields: Mapping[str, Any], path: Path_) -> None:
    for key, value in fields.items():
        where = [*path, key]
        if key in ("regions", "postcodes", "cpv"):
            strings(value, where)
        elif key in ("value", "value_low", "value_high", "days_left"):
            number(value, where)
        elif key in ("vcse", "sme", "reserved", "below_threshold"):
            bool_value(value, where)
        elif key == "stage":
            parse_stage(value, where)
        elif key == "years":
            number(value, where, minimum=0)
        elif key == "regime":
            strings(value, where)
        elif key == "lots":
            if not isinstance(value, list):
                raise fail(where, f"expected an array of lot tables, got {type_name(value)}")
            for index, lot in enumerate(value):
                lot_table = table_value(lot, [*where, index])
                check_keys(lot_table, _LOT_KEYS, [*where, index])
                _check_example_fields(
                    {k: v for k, v in lot_table.items() if k != "vcse"}, [*where, index]
                )
                if "vcse" in lot_table:
                    bool_value(lot_table["vcse"], [*where, index, "vcse"])
        else:
            string(value, where)


def parse_rule_set(text: str, file: str, base_dir: Path, *, path: Path | None = None) -> RuleSet:
    """Validate and compile rule-set `text` (from `file`, for messages).

    Raises:
        RuleFileError: anything is wrong; nothing is returned half-loaded.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else len(text.splitlines()) or None
        raise RuleFileError(file, line, f"not valid TOML: {exc}") from None
    lines = LineFinder(text)
    try:
        return _build(data, base_dir, lines, path)
    except Problem as problem:
        raise RuleFileError(file, lines.line_of(problem.path), problem.what) from None


def _build(
    data: Mapping[str, Any], base_dir: Path, lines: LineFinder, path: Path | None
) -> RuleSet:
    for key in data:
        if key not in _TOP_KEYS:
            raise fail([key], f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
    name = string(data.get("name"), ["name"])
    if not _NAME.match(name):
        raise fail(["name"], f"{name!r}: use lower-case letters, digits and hyphens")
    role = data.get("role", TOPIC)
    if role not in (TOPIC, FILTER):
        raise fail(["role"], f'expected "{TOPIC}" or "{FILTER}", got {role!r}')
    require = (
        All(tuple(condition_parts(data["require"], ["require"]))) if "require" in data else None
    )
    exclude, firm = _exclusions(data["exclude"]) if "exclude" in data else ((), ())
    score = _score(data["score"]) if "score" in data else ()
    threshold = float(number(data.get("threshold", 1 if score else 0), ["threshold"], minimum=0))
    if threshold and not score:
        raise fail(["threshold"], "a threshold needs [[score]] conditions to reach it")
    possible_threshold = None
    if "possible_threshold" in data:
        where: list[str | int] = ["possible_threshold"]
        possible_threshold = float(number(data["possible_threshold"], where, minimum=0))
        if not score or possible_threshold > threshold:
            raise fail(where, "needs [[score]] conditions and a threshold no lower than it")
    if require is None and not score and not exclude:
        raise fail([], "the rule set has no conditions: give require, exclude or [[score]]")
    return RuleSet(
        name=name,
        title=string(data.get("title"), ["title"]),
        description=str(data.get("description", "")).strip(),
        curator=str(data.get("curator", "")).strip(),
        version=str(data.get("version", "")).strip(),
        role=role,
        require=require,
        exclude=exclude,
        firm_exclusions=firm,
        score=score,
        threshold=threshold,
        possible_threshold=possible_threshold,
        examples=_examples(data.get("examples", []), base_dir, lines),
        path=path,
    )


def load_rule_set(path: Path) -> RuleSet:
    """Read and compile the rule-set file at `path`.

    Raises:
        RuleFileError: the file cannot be read or is invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError(str(path), None, "no such rule-set file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(path), None, f"cannot read: {exc}") from None
    return parse_rule_set(text, str(path), path.parent, path=path)
