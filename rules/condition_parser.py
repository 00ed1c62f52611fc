"""Parsing condition tables (``keywords``, ``value``, ``place``, ``cpv``...) into conditions.

Shared by rule files and by subscriptions' narrowing in the config. Nothing is executed:
patterns are compiled by RE2 (linear time) and everything else is data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import re2

from rules.conditions import All, AnyOf, Condition, Cpv, Deadline, Flag, Not, Stage
from rules.parsing import (
    Path_,
    Problem,
    bool_value,
    check_keys,
    fail,
    missing_passes,
    number,
    string,
    strings,
    table_value,
    type_name,
)
from rules.place_conditions import Place
from rules.places import is_postcode_area, itl_code, region_codes
from rules.signals import REGIME_LABELS, BelowThreshold, NoticeType, Regime, Reserved
from rules.text import Keyword, parse_keyword
from rules.text_conditions import Keywords, Pattern
from rules.value import Value

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
    "marketIntention",
    "marketModification",
)
NOTICE_TYPES = tuple(f"UK{n}" for n in range(1, 18))
_CPV_PREFIX = re.compile(r"^\d{2,8}(?:-\d)?$")


def _keywords(values: object, path: Path_) -> tuple[Keyword, ...]:
    try:
        return tuple(parse_keyword(k) for k in strings(values, path))
    except ValueError as exc:
        raise fail(path, str(exc)) from None


def _fields(table: Mapping[str, Any], path: Path_, default: tuple[str, ...]) -> tuple[str, ...]:
    if "fields" not in table:
        return default
    fields = strings(table["fields"], [*path, "fields"])
    for name in fields:
        if name not in KEYWORD_FIELDS:
            raise fail(
                [*path, "fields"], f"unknown field {name!r} (use {', '.join(KEYWORD_FIELDS)})"
            )
    return tuple(fields)


def _keyword_condition(
    value: object, path: Path_, *, fields: tuple[str, ...], label: str, choose_fields: bool
) -> Keywords:
    if not isinstance(value, dict):
        return Keywords(fields=fields, any_of=_keywords(value, path), label=label)
    allowed = {"any", "all", "none"} | ({"fields"} if choose_fields else set())
    check_keys(value, allowed, path)
    if not {"any", "all", "none"} & set(value):
        raise fail(path, "give at least one of any, all, none")
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
        check_keys(value, {"pattern", "fields"}, path)
        fields = _fields(value, path, fields)
        source = string(value.get("pattern"), [*path, "pattern"])
    else:
        source = string(value, path)
    if len(source) > MAX_PATTERN_LENGTH:
        raise fail(path, f"pattern is {len(source)} characters; the limit is {MAX_PATTERN_LENGTH}")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    options.max_mem = 8 << 20
    try:
        regex = re2.compile(source, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise fail(path, f"bad regular expression: {detail}") from None
    return Pattern(fields=fields, source=source, regex=regex)


def _value(value: object, path: Path_) -> Value:
    table = table_value(value, path)
    check_keys(
        table,
        {"at_most", "at_least", "missing", "per_year", "lots", "per_provider", "soft"}
        | {"possible_at_most"},
        path,
    )
    if "at_most" not in table and "at_least" not in table:
        raise fail(path, "give at_most, at_least or both")
    at_most = (
        number(table["at_most"], [*path, "at_most"], minimum=0) if "at_most" in table else None
    )
    at_least = (
        number(table["at_least"], [*path, "at_least"], minimum=0) if "at_least" in table else None
    )
    soft = bool_value(table.get("soft", False), [*path, "soft"])
    possible = None
    if "possible_at_most" in table:
        where = [*path, "possible_at_most"]
        possible = number(table["possible_at_most"], where, minimum=0)
        if not soft or at_most is None or possible < at_most:
            raise fail(where, "needs soft = true and an at_most no larger than it")
    return Value(
        at_most=at_most,
        at_least=at_least,
        missing_passes=missing_passes(table, path, "value"),
        per_year=bool_value(table.get("per_year", False), [*path, "per_year"]),
        lots=bool_value(table.get("lots", False), [*path, "lots"]),
        per_provider=bool_value(table.get("per_provider", False), [*path, "per_provider"]),
        soft=soft,
        possible_at_most=possible,
    )


def _place(value: object, path: Path_) -> Place:
    options: Mapping[str, Any] = {}
    entries_path: list[str | int] = list(path)
    if isinstance(value, dict):
        check_keys(value, {"any", "wide", "national", "missing", "buyer"}, path)
        options = value
        entries_path = [*path, "any"]
        value = value.get("any")
    names = strings(value, entries_path)
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
            raise fail(
                [*entries_path, index],
                f'unknown place {name!r} (use a region such as "North East", an ITL code such '
                "as UKC or UKM82, or a postcode area such as NE)",
            )
    missing = "missing" in options and missing_passes(options, path, "place")
    wide = bool_value(options.get("wide", True), [*path, "wide"])
    if "national" in options:
        national = options["national"]
        if national not in ("include", "exclude"):
            raise fail([*path, "national"], f'expected "include" or "exclude", got {national!r}')
        wide = national == "include"
    return Place(
        codes=tuple(dict.fromkeys(codes)),
        areas=tuple(dict.fromkeys(areas)),
        wide=wide,
        missing_passes=missing,
        use_buyer=bool_value(options.get("buyer", True), [*path, "buyer"]),
        names=tuple(names),
    )


def _cpv(value: object, path: Path_) -> Cpv:
    main_only = False
    unless_main: tuple[str, ...] = ()
    entries_path: list[str | int] = list(path)
    if isinstance(value, dict):
        check_keys(value, {"any", "main_only", "unless_main"}, path)
        main_only = bool_value(value.get("main_only", False), [*path, "main_only"])
        if "unless_main" in value:
            unless_main = _cpv_prefixes(value["unless_main"], [*path, "unless_main"])
        entries_path = [*path, "any"]
        value = value.get("any")
    prefixes = _cpv_prefixes(value, entries_path)
    return Cpv(prefixes=prefixes, main_only=main_only, unless_main=unless_main)


def _cpv_prefixes(value: object, path: Path_) -> tuple[str, ...]:
    prefixes = []
    for index, code in enumerate(strings(value, path)):
        if not _CPV_PREFIX.match(code):
            raise fail(
                [*path, index],
                f"malformed CPV code {code!r} (2 to 8 digits, such as 85, 853 or 85312000)",
            )
        digits = code.split("-")[0]
        prefixes.append(digits.rstrip("0").ljust(2, "0") if len(digits) == 8 else digits)
    return tuple(dict.fromkeys(prefixes))


def _choice(allowed: Sequence[str], what: str) -> Callable[[object, Path_], tuple[str, ...]]:
    def parse(value: object, path: Path_) -> tuple[str, ...]:
        values = strings(value, path)
        for index, item in enumerate(values):
            if item not in allowed:
                raise fail([*path, index], f"unknown {what} {item!r} (one of {', '.join(allowed)})")
        return tuple(values)

    return parse


_regimes = _choice(tuple(REGIME_LABELS), "regime")
_notice_types = _choice(NOTICE_TYPES, "notice type")


def _deadline(value: object, path: Path_) -> Deadline:
    table = table_value(value, path)
    check_keys(table, {"days_left_at_least", "missing", "soft"}, path)
    if "days_left_at_least" not in table:
        raise fail(path, "give days_left_at_least")
    days = number(table["days_left_at_least"], [*path, "days_left_at_least"], minimum=0)
    return Deadline(
        days=float(days),
        missing_passes=missing_passes(table, path, "deadline"),
        soft=bool_value(table.get("soft", False), [*path, "soft"]),
    )


def parse_stage(value: object, path: Path_) -> Stage:
    """A list of stages, each one tenderbot knows."""
    stages = strings(value, path)
    for index, stage in enumerate(stages):
        if stage not in STAGES:
            raise fail([*path, index], f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
    return Stage(stages=tuple(stages))


def _combinator(kind: str) -> Callable[[object, Path_], Condition]:
    def parse(value: object, path: Path_) -> Condition:
        if not isinstance(value, list) or not value:
            what = f"expected a non-empty array of condition tables, got {type_name(value)}"
            raise fail(path, what)
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
    "stage": parse_stage,
    "regime": lambda v, p: Regime(_regimes(v, p)),
    "below_threshold": lambda v, p: BelowThreshold(bool_value(v, p)),
    "reserved": lambda v, p: Reserved(bool_value(v, p)),
    "notice_type": lambda v, p: NoticeType(_notice_types(v, p)),
    "vcse": lambda v, p: Flag("suitable_vcse", bool_value(v, p)),
    "sme": lambda v, p: Flag("suitable_sme", bool_value(v, p)),
    "all": _combinator("all"),
    "any": _combinator("any"),
    "not": lambda v, p: Not(condition(v, p)),
}
CONDITION_KEYS = frozenset(_PARSERS)


def condition_parts(
    value: object, path: Path_, *, extra: frozenset[str] = frozenset()
) -> list[Condition]:
    """Parse each condition key of a table (keys in `extra` are skipped for the caller)."""
    table = table_value(value, path)
    parts = []
    for key, item in table.items():
        if key in extra:
            continue
        parser = _PARSERS.get(key)
        if parser is None:
            allowed = ", ".join(sorted(CONDITION_KEYS | extra))
            raise fail([*path, key], f"unknown condition (expected one of {allowed})")
        parts.append(parser(item, [*path, key]))
    if not parts:
        raise fail(path, "no condition given")
    return parts


def parse_condition_key(key: str, value: object, where: str) -> Condition:
    """Parse one condition written outside a rule file (e.g. a subscription's `regions`).

    Raises:
        ValueError: the value is invalid; the message starts with `where`.
    """
    try:
        return _PARSERS[key](value, [where])
    except Problem as problem:
        raise ValueError(problem.what) from None


def condition(value: object, path: Path_) -> Condition:
    """Parse a condition table; several keys in one table must all hold."""
    parts = condition_parts(value, path)
    return parts[0] if len(parts) == 1 else All(tuple(parts))
