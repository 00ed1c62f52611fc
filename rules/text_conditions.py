"""Text conditions: keywords (any of, all of, none of) and regular expressions on text fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.conditions import Reasons
from rules.context import Context
from rules.text import Keyword


def _quoted(keywords: Sequence[Keyword]) -> str:
    return ", ".join(f'"{k}"' for k in keywords)


def _field_names(fields: Sequence[str]) -> str:
    return "/".join(fields)


@dataclass(frozen=True, slots=True)
class Keywords:
    """Keywords on text fields: any of, all of, none of."""

    fields: tuple[str, ...]
    any_of: tuple[Keyword, ...] = ()
    all_of: tuple[Keyword, ...] = ()
    none_of: tuple[Keyword, ...] = ()
    label: str = "keywords"
    _whole: frozenset[str] = field(init=False, repr=False, compare=False)
    _phrases: dict[str, tuple[Keyword, ...]] = field(init=False, repr=False, compare=False)
    _starts: frozenset[str] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[Keyword, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `any_of` split three ways, so most keywords cost nothing on a notice without them:
        # whole words (one set intersection), phrases by their first word (which must be in
        # the text as a whole word), and single-word prefixes (one binary search each).
        whole = [k for k in self.any_of if len(k.words) == 1 and not k.prefix]
        phrases: dict[str, list[Keyword]] = {}
        for keyword in self.any_of:
            if len(keyword.words) > 1:
                phrases.setdefault(keyword.words[0], []).append(keyword)
        object.__setattr__(self, "_whole", frozenset(k.words[0] for k in whole))
        object.__setattr__(self, "_phrases", {w: tuple(ks) for w, ks in phrases.items()})
        object.__setattr__(self, "_starts", frozenset(phrases))
        object.__setattr__(
            self, "_prefixes", tuple(k for k in self.any_of if len(k.words) == 1 and k.prefix)
        )

    def _found(self, ctx: Context, keyword: Keyword) -> bool:
        # A look-up in the field's word index is cheaper than remembering its answer.
        return any(ctx.index(f).contains(keyword) for f in self.fields)

    def _any_found(self, ctx: Context) -> list[Keyword]:
        """The `any_of` keywords found, in their order."""
        found: set[Keyword] = set()
        hits: set[str] = set()
        for name in self.fields:
            index = ctx.index(name)
            words = index.words
            hits |= words & self._whole
            for first in words & self._starts:
                found.update(k for k in self._phrases[first] if index.contains(k))
            found.update(k for k in self._prefixes if index.has_prefix(k.words[0]))
        if not hits and not found:
            return []
        return [
            k
            for k in self.any_of
            if k in found or (len(k.words) == 1 and not k.prefix and k.words[0] in hits)
        ]

    def test(self, ctx: Context) -> Reasons:
        """None unless every `all_of`, at least one `any_of` and no `none_of` keyword is found."""
        if any(self._found(ctx, k) for k in self.none_of):
            return None
        found_all = [k for k in self.all_of if self._found(ctx, k)]
        if len(found_all) < len(self.all_of):
            return None
        found_any = self._any_found(ctx) if self.any_of else []
        if self.any_of and not found_any:
            return None
        found = found_all + found_any
        if not found:
            return []
        scope = "" if self.label != "keywords" or len(self.fields) > 1 else f" in {self.fields[0]}"
        return [f"{self.label}{scope}: {_quoted(found)}"]

    def describe(self) -> str:
        """What the condition asks for, in words."""
        parts = []
        if self.any_of:
            parts.append(f"any of {_quoted(self.any_of)}")
        if self.all_of:
            parts.append(f"all of {_quoted(self.all_of)}")
        if self.none_of:
            parts.append(f"none of {_quoted(self.none_of)}")
        return f"{self.label} in {_field_names(self.fields)}: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A regular expression (run by RE2, in linear time) on text fields."""

    fields: tuple[str, ...]
    source: str
    regex: Any

    def test(self, ctx: Context) -> Reasons:
        """The pattern's first match, if any field has one."""
        for name in self.fields:
            found = self.regex.search(ctx.text(name))
            if found is not None:
                return [f'pattern /{self.source}/ found "{found.group(0)[:60]}" in {name}']
        return None

    def describe(self) -> str:
        """What the condition asks for, in words."""
        return f"pattern /{self.source}/ in {_field_names(self.fields)}"
