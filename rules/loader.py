"""Load a rule-set TOML file into a `RuleSet`, validating everything first.

Nothing in a rule file is executed. Any problem raises `RuleFileError` as
``FILE:LINE: what is wrong``, and a file with any problem yields no rule set at all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import re2

from rules.conditions import (
    All,
    AnyOf,
    Condition,
    Cpv,
    Deadline,
    Flag,
    Keywords,
    Not,
    Pattern,
    Place,
    Stage,
    Value,
)
from rules.errors import RuleFileError
from rules.lines import LineFinder
from rules.places import is_postcode_area, itl_code, region_codes
from rules.ruleset import FILTER, TOPIC, Example, RuleSet, ScoreRule
from rules.text import Keyword, parse_keyword

MAX_PATTERN_LENGTH = 300
KEYWORD_FIELDS = ("title", "description", "buyer", "procedure")
DEFAULT_TEXT_FIELDS: tuple[str, ...] = ("title", "description")
STAGES = (
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractAmendment",
    "contractUpdate",
    "contractTermination",
    "implementation",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CPV_PREFIX = re.compile(r"^\d{2,8}(?:-\d)?$")
_TOP_KEYS = {
    "name",
    "title",
    "description",
    "curator",
    "version",
    "role",
    "threshold",
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
}

Path_ = Sequence[str | int]


class _Problem(Exception):
    def __init__(self, path: Path_, what: str) -> None:
        super().__init__(what)
        self.path = tuple(path)
        self.what = what


def _where(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _fail(path: Path_, what: str) -> _Problem:
    return _Problem(path, f"{_where(path)}: {what}" if path else what)


def _type(value: object) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false"}
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return names.get(type(value), type(value).__name__)


def _string(value: object, path: Path_) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"expected a non-empty string, got {_type(value)}")
    return value.strip()


def _strings(value: object, path: Path_) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _fail(path, f"expected a non-empty array of strings, got {_type(value)}")
    return [_string(item, [*path, i]) for i, item in enumerate(value)]


def _number(value: object, path: Path_, *, minimum: float | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"expected a number, got {_type(value)}")
    number = Decimal(str(value))
    if not number.is_finite() or (minimum is not None and number < Decimal(str(minimum))):
        raise _fail(path, f"expected a number of at least {minimum}, got {value}")
    return number


def _bool(value: object, path: Path_) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, f"expected true or false, got {_type(value)}")
    return value


def _table(value: object, path: Path_) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, f"expected a table, got {_type(value)}")
    return value


def _missing(table: Mapping[str, Any], path: Path_, what: str) -> bool:
    if "missing" not in table:
        raise _fail(
            path, f'say what a notice with no {what} does: missing = "pass" or missing = "fail"'
        )
    choice = table["missing"]
    if choice not in ("pass", "fail"):
        raise _fail([*path, "missing"], f'expected "pass" or "fail", got {choice!r}')
    return bool(choice == "pass")


def _check_keys(table: Mapping[str, Any], allowed: set[str], path: Path_) -> None:
    for key in table:
        if key not in allowed:
            raise _fail([*path, key], f"unknown key (expected one of {', '.join(sorted(allowed))})")


def _keywords(values: object, path: Path_) -> tuple[Keyword, ...]:
    try:
        return tuple(parse_keyword(k) for k in _strings(values, path))
    except ValueError as exc:
        raise _fail(path, str(exc)) from None


def _fields(table: Mapping[str, Any], path: Path_, default: tuple[str, ...]) -> tuple[str, ...]:
    if "fields" not in table:
        return default
    fields = _strings(table["fields"], [*path, "fields"])
    for name in fields:
        if name not in KEYWORD_FIELDS:
            raise _fail(
                [*path, "fields"], f"unknown field {name!r} (use {', '.join(KEYWORD_FIELDS)})"
            )
    return tuple(fields)


def _keyword_condition(
    value: object, path: Path_, *, fields: tuple[str, ...], label: str, choose_fields: bool
) -> Keywords:
    if not isinstance(value, dict):
        return Keywords(fields=fields, any_of=_keywords(value, path), label=label)
    allowed = {"any", "all", "none"} | ({"fields"} if choose_fields else set())
    _check_keys(value, allowed, path)
    if not {"any", "all", "none"} & set(value):
        raise _fail(path, "give at least one of any, all, none")
    return Keywords(
        fields=_fields(value, path, fields) if choose_fields else fields,
        any_of=_keywords(value["any"], [*path, "any"]) if "any" in value else (),
        all_of=_keywords(value["all"], [*path, "all"]) if "all" in value else (),
        none_of=_keywords(value["none"], [*path, "none"]) if "none" in value else (),
        label=label,
    )


def _pattern(value: object, path: Path_) -> Pattern:
    fields = DEFAULT_TEXT_FIELDS
    if isinstance(value, dict):
        _check_keys(value, {"pattern", "fields"}, path)
        fields = _fields(value, path, fields)
        source = _string(value.get("pattern"), [*path, "pattern"])
    else:
        source = _string(value, path)
    if len(source) > MAX_PATTERN_LENGTH:
        raise _fail(path, f"pattern is {len(source)} characters; the limit is {MAX_PATTERN_LENGTH}")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    options.max_mem = 8 << 20
    try:
        regex = re2.compile(source, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise _fail(path, f"bad regular expression: {detail}") from None
    return Pattern(fields=fields, source=source, regex=regex)


def _value(value: object, path: Path_) -> Value:
    table = _table(value, path)
    _check_keys(table, {"at_most", "at_least", "missing"}, path)
    if "at_most" not in table and "at_least" not in table:
        raise _fail(path, "give at_most, at_least or both")
    at_most = (
        _number(table["at_most"], [*path, "at_most"], minimum=0) if "at_most" in table else None
    )
    at_least = (
        _number(table["at_least"], [*path, "at_least"], minimum=0) if "at_least" in table else None
    )
    return Value(at_most=at_most, at_least=at_least, missing_passes=_missing(table, path, "value"))


def _place(value: object, path: Path_) -> Place:
    options: Mapping[str, Any] = {}
    entries_path: list[str | int] = list(path)
    if isinstance(value, dict):
        _check_keys(value, {"any", "wide", "missing", "buyer"}, path)
        options = value
        entries_path = [*path, "any"]
        value = value.get("any")
    names = _strings(value, entries_path)
    codes: list[str] = []
    areas: list[str] = []
    for index, name in enumerate(names):
        named = region_codes(name)
        code = itl_code(name)
        if named:
            codes.extend(named)
        elif code:
            codes.append(code)
        elif is_postcode_area(name):
            areas.append(name.strip().upper())
        else:
            raise _fail(
                [*entries_path, index],
                f'unknown place {name!r} (use a region such as "North East", an ITL code such '
                "as UKC or UKM82, or a postcode area such as NE)",
            )
    missing = "missing" in options and _missing(options, path, "place")
    return Place(
        codes=tuple(dict.fromkeys(codes)),
        areas=tuple(dict.fromkeys(areas)),
        wide=_bool(options.get("wide", True), [*path, "wide"]),
        missing_passes=missing,
        use_buyer=_bool(options.get("buyer", True), [*path, "buyer"]),
        names=tuple(names),
    )


def _cpv(value: object, path: Path_) -> Cpv:
    main_only = False
    entries_path: list[str | int] = list(path)
    if isinstance(value, dict):
        _check_keys(value, {"any", "main_only"}, path)
        main_only = _bool(value.get("main_only", False), [*path, "main_only"])
        entries_path = [*path, "any"]
        value = value.get("any")
    prefixes = []
    for index, code in enumerate(_strings(value, entries_path)):
        if not _CPV_PREFIX.match(code):
            raise _fail(
                [*entries_path, index],
                f"malformed CPV code {code!r} (2 to 8 digits, such as 85, 853 or 85312000)",
            )
        digits = code.split("-")[0]
        prefixes.append(digits.rstrip("0").ljust(2, "0") if len(digits) == 8 else digits)
    return Cpv(prefixes=tuple(dict.fromkeys(prefixes)), main_only=main_only)


def _deadline(value: object, path: Path_) -> Deadline:
    table = _table(value, path)
    _check_keys(table, {"days_left_at_least", "missing"}, path)
    if "days_left_at_least" not in table:
        raise _fail(path, "give days_left_at_least")
    days = _number(table["days_left_at_least"], [*path, "days_left_at_least"], minimum=0)
    return Deadline(days=float(days), missing_passes=_missing(table, path, "deadline"))


def _stage(value: object, path: Path_) -> Stage:
    stages = _strings(value, path)
    for index, stage in enumerate(stages):
        if stage not in STAGES:
            raise _fail([*path, index], f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
    return Stage(stages=tuple(stages))


def _combinator(kind: str) -> Callable[[object, Path_], Condition]:
    def parse(value: object, path: Path_) -> Condition:
        if not isinstance(value, list) or not value:
            raise _fail(path, f"expected a non-empty array of condition tables, got {_type(value)}")
        children = tuple(condition(item, [*path, i]) for i, item in enumerate(value))
        return All(children) if kind == "all" else AnyOf(children)

    return parse


_PARSERS: dict[str, Callable[[object, Path_], Condition]] = {
    "keywords": lambda v, p: _keyword_condition(
        v, p, fields=DEFAULT_TEXT_FIELDS, label="keywords", choose_fields=True
    ),
    "buyer": lambda v, p: _keyword_condition(
        v, p, fields=("buyer",), label="buyer", choose_fields=False
    ),
    "procedure": lambda v, p: _keyword_condition(
        v, p, fields=("procedure",), label="procedure", choose_fields=False
    ),
    "pattern": _pattern,
    "value": _value,
    "place": _place,
    "cpv": _cpv,
    "deadline": _deadline,
    "stage": _stage,
    "vcse": lambda v, p: Flag("suitable_vcse", _bool(v, p)),
    "sme": lambda v, p: Flag("suitable_sme", _bool(v, p)),
    "all": _combinator("all"),
    "any": _combinator("any"),
    "not": lambda v, p: Not(condition(v, p)),
}
CONDITION_KEYS = frozenset(_PARSERS)


def condition_parts(
    value: object, path: Path_, *, extra: frozenset[str] = frozenset()
) -> list[Condition]:
    """Parse each condition key of a table (keys in `extra` are skipped for the caller)."""
    table = _table(value, path)
    parts = []
    for key, item in table.items():
        if key in extra:
            continue
        parser = _PARSERS.get(key)
        if parser is None:
            allowed = ", ".join(sorted(CONDITION_KEYS | extra))
            raise _fail([*path, key], f"unknown condition (expected one of {allowed})")
        parts.append(parser(item, [*path, key]))
    if not parts:
        raise _fail(path, "no condition given")
    return parts


def parse_condition_key(key: str, value: object, where: str) -> Condition:
    """Parse one condition written outside a rule file (e.g. a subscription's `regions`).

    Raises:
        ValueError: the value is invalid; the message starts with `where`.
    """
    try:
        return _PARSERS[key](value, [where])
    except _Problem as problem:
        raise ValueError(problem.what) from None


def condition(value: object, path: Path_) -> Condition:
    """Parse a condition table; several keys in one table must all hold."""
    parts = condition_parts(value, path)
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _score(value: object) -> tuple[ScoreRule, ...]:
    if not isinstance(value, list):
        raise _fail(["score"], "expected an array of tables ([[score]])")
    rules = []
    for index, item in enumerate(value):
        path: list[str | int] = ["score", index]
        table = _table(item, path)
        weight = _number(table.get("weight", 1), [*path, "weight"])
        label = _string(table["label"], [*path, "label"]) if "label" in table else None
        parts = condition_parts(table, path, extra=frozenset({"weight", "label"}))
        cond = parts[0] if len(parts) == 1 else All(tuple(parts))
        rules.append(ScoreRule(weight=float(weight), condition=cond, label=label))
    return tuple(rules)


def _examples(value: object, base_dir: Path, lines: LineFinder) -> tuple[Example, ...]:
    if not isinstance(value, list):
        raise _fail(["examples"], "expected an array of tables ([[examples]])")
    examples = []
    for index, item in enumerate(value):
        path: list[str | int] = ["examples", index]
        table = _table(item, path)
        _check_keys(table, _EXAMPLE_KEYS, path)
        expect = table.get("expect")
        if expect not in ("match", "no-match"):
            raise _fail([*path, "expect"], 'expected "match" or "no-match"')
        release = None
        if "release" in table:
            release = base_dir / _string(table["release"], [*path, "release"])
            if not release.is_file():
                raise _fail([*path, "release"], f"no such file: {release}")
        elif "title" not in table:
            raise _fail(path, "give a release file (release = ...) or the notice's fields")
        fields = {k: v for k, v in table.items() if k not in ("expect", "note", "release", "ocid")}
        _check_example_fields(fields, path)
        examples.append(
            Example(
                index=index + 1,
                line=lines.line_of(path),
                expect_match=expect == "match",
                fields=fields,
                release=release,
                ocid=_string(table["ocid"], [*path, "ocid"]) if "ocid" in table else None,
                note=_string(table["note"], [*path, "note"]) if "note" in table else None,
            )
        )
    return tuple(examples)


def _check_example_fields(fields: Mapping[str, Any], path: Path_) -> None:
    for key, value in fields.items():
        where = [*path, key]
        if key in ("regions", "postcodes", "cpv"):
            _strings(value, where)
        elif key in ("value", "value_low", "value_high", "days_left"):
            _number(value, where)
        elif key in ("vcse", "sme"):
            _bool(value, where)
        elif key == "stage":
            _stage(value, where)
        else:
            _string(value, where)


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
    except _Problem as problem:
        raise RuleFileError(file, lines.line_of(problem.path), problem.what) from None


def _build(
    data: Mapping[str, Any], base_dir: Path, lines: LineFinder, path: Path | None
) -> RuleSet:
    for key in data:
        if key not in _TOP_KEYS:
            raise _fail([key], f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
    name = _string(data.get("name"), ["name"])
    if not _NAME.match(name):
        raise _fail(["name"], f"{name!r}: use lower-case letters, digits and hyphens")
    role = data.get("role", TOPIC)
    if role not in (TOPIC, FILTER):
        raise _fail(["role"], f'expected "{TOPIC}" or "{FILTER}", got {role!r}')
    require = (
        All(tuple(condition_parts(data["require"], ["require"]))) if "require" in data else None
    )
    exclude = tuple(condition_parts(data["exclude"], ["exclude"])) if "exclude" in data else ()
    score = _score(data["score"]) if "score" in data else ()
    threshold = float(_number(data.get("threshold", 1 if score else 0), ["threshold"], minimum=0))
    if threshold and not score:
        raise _fail(["threshold"], "a threshold needs [[score]] conditions to reach it")
    if require is None and not score and not exclude:
        raise _fail([], "the rule set has no conditions: give require, exclude or [[score]]")
    return RuleSet(
        name=name,
        title=_string(data.get("title"), ["title"]),
        description=str(data.get("description", "")).strip(),
        curator=str(data.get("curator", "")).strip(),
        version=str(data.get("version", "")).strip(),
        role=role,
        require=require,
        exclude=exclude,
        score=score,
        threshold=threshold,
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
