"""`tenderbot rules ...`: list, check, test, preview, explain and evaluate rule sets."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.config import Config, ConfigError, find_config_path, load_config
from bot.delivery.notifiers.console import plain
from bot.file_args import expand_files
from bot.moments import DEFAULT_ZONE, parse_when
from bot.rules_evaluate import evaluate, print_evaluation, read_labels
from bot.rules_preview import print_explanations, print_preview
from bot.store import Store
from rules.context import Context
from rules.errors import RuleFileError
from rules.examples import run_examples
from rules.library import resolve, shipped_paths
from rules.loader import load_rule_set
from rules.matcher import MatchPlan, Narrowing
from rules.ruleset import Match, RuleSet
from sources.clock import Clock
from sources.notice import Notice
from sources.notice_merge import merge_notice
from sources.ocds import MappingError, load_json, releases_of
from sources.releases import map_any_releases

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

__all__ = ["latest_by_notice", "load_ref", "optional_config", "parse_when", "read_notices_file"]


def run_rules_command(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    """Dispatch `tenderbot rules SUBCOMMAND`; returns the exit code."""
    command = args.subcommand
    if command == "list":
        return _list(args, out)
    if command == "check":
        return _check(args.files, out)
    if command == "test":
        return _test(args, out)
    if command == "evaluate":
        return _evaluate(args, out)
    if command == "feedback":
        return _feedback(args, out, clock)
    return _preview(args, out, clock)


def optional_config(args: argparse.Namespace) -> Config | None:
    """The config named by `--config` (or found by default), or None when there is none."""
    explicit = getattr(args, "config", None)
    path = find_config_path(explicit)
    if not explicit and not path.is_file():
        return None
    return load_config(path)


def _base_dir(config: Config | None) -> Path:
    return config.path.parent if config else Path.cwd()


def zone_of(config: Config | None) -> ZoneInfo:
    """The timezone dates typed on the command line are read in: the config's, else London."""
    return config.bot.zone if config else DEFAULT_ZONE


def config_for(args: argparse.Namespace, files: Sequence[Path]) -> Config | None:
    """The config a command reading `files` may use (none needed), else the one it must have."""
    if files:
        return optional_config(args)
    return load_config(find_config_path(getattr(args, "config", None)))


def _list(args: argparse.Namespace, out: TextIO) -> int:
    config = optional_config(args)
    rows: list[dict[str, str]] = []
    refs: dict[str, str] = {name: "shipped" for name in shipped_paths()}
    if config:
        for subscription in config.subscriptions:
            for ref in subscription.rules:
                refs.setdefault(ref, "configured")
    status = EXIT_OK
    for ref, origin in refs.items():
        try:
            rule_set = load_rule_set(resolve(ref, _base_dir(config)))
        except RuleFileError as exc:
            rows.append({"name": ref, "role": "?", "origin": origin, "title": f"ERROR: {exc}"})
            status = EXIT_USAGE
            continue
        rows.append(
            {
                "name": ref if origin == "configured" else rule_set.name,
                "role": rule_set.role,
                "origin": origin,
                "title": rule_set.title,
                "version": rule_set.version,
            }
        )
    if args.format == "json":
        print(json.dumps(rows, indent=2), file=out)
        return status
    width = max(len(r["name"]) for r in rows) if rows else 4
    print(f"{'NAME':<{width}}  {'ROLE':<6}  {'ORIGIN':<10}  TITLE", file=out)
    for row in rows:
        print(
            f"{row['name']:<{width}}  {row['role']:<6}  {row['origin']:<10}  {row['title']}",
            file=out,
        )
    return status


def _check(files: Sequence[str], out: TextIO) -> int:
    status = EXIT_OK
    for file in files:
        try:
            rule_set = load_rule_set(resolve(file, Path.cwd()))
        except RuleFileError as exc:
            print(str(exc), file=out)
            status = EXIT_USAGE
            continue
        print(
            f"{file}: ok: {rule_set.name} ({rule_set.role}), {len(rule_set.score)} scoring "
            f"condition(s), {len(rule_set.examples)} example(s)",
            file=out,
        )
    return status


def _test(args: argparse.Namespace, out: TextIO) -> int:
    config = optional_config(args)
    refs = list(args.refs) or list(shipped_paths())
    if not args.refs and config:
        refs += [r for s in config.subscriptions for r in s.rules if r not in refs]
    passed = failed = 0
    invalid = False
    for ref in refs:
        try:
            rule_set = load_rule_set(resolve(ref, _base_dir(config)))
        except RuleFileError as exc:
            print(str(exc), file=out)
            invalid = True
            continue
        results = run_examples(rule_set)
        if not results:
            print(f"{rule_set.name}: no examples", file=out)
        for result in results:
            example = result.example
            expected = "match" if example.expect_match else "no match"
            if result.passed:
                passed += 1
                continue
            failed += 1
            where = f"{rule_set.path}:{example.line}" if example.line else str(rule_set.path)
            print(
                f"FAIL {where}: example {example.index} ({plain(result.title)[:70]}): expected "
                f"{expected}; {result.detail}",
                file=out,
            )
        good = sum(r.passed for r in results)
        print(f"{rule_set.name}: {good} of {len(results)} example(s) passed", file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    if invalid:
        return EXIT_USAGE
    return EXIT_FAILED if failed else EXIT_OK


def load_ref(ref: str, config: Config | None) -> RuleSet:
    """Load a rule set by shipped name or path: relative to the config's folder, else here."""
    try:
        return load_rule_set(resolve(ref, _base_dir(config)))
    except RuleFileError:
        if config is None or Path(ref).is_absolute():
            raise
        return load_rule_set(resolve(ref, Path.cwd()))


def read_notices_file(path: Path, source: str) -> tuple[list[Notice], list[str]]:
    """Notices from an OCDS release package, or JSON lines of releases; and what was skipped.

    Raises:
        ConfigError: the file cannot be read or holds neither form.
    """
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        releases: list[object] = releases_of(load_json(payload))
    except (ValueError, MappingError):
        releases = []
        for number, line in enumerate(payload.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                releases.extend(releases_of(load_json(line)))
            except (ValueError, MappingError) as exc:
                raise ConfigError(
                    f"{path}:{number}: not an OCDS release package or JSON lines of releases "
                    f"({exc})"
                ) from None
    mapped = map_any_releases(releases, source=source)
    return list(mapped.notices), [str(p) for p in mapped.problems]


def latest_by_notice(notices: Iterable[Notice]) -> list[Notice]:
    """One notice per (source, id): its releases merged in order, as the store merges them."""
    latest: dict[tuple[str, str], Notice] = {}
    for notice in sorted(notices, key=lambda n: (n.release_date, n.release_id)):
        key = (notice.source, notice.id)
        known = latest.get(key)
        latest[key] = notice if known is None else merge_notice(known, notice)
    return sorted(latest.values(), key=lambda n: n.release_date, reverse=True)


def _notices_from(
    files: Sequence[Path], config: Config | None, since: datetime | None = None
) -> Iterator[Notice]:
    """Notices from files (merged per process), or streamed from the store."""
    if files:
        notices: list[Notice] = []
        for path in files:
            # Several files (pages of one feed) are one source, so a process spread over
            # them is merged into one notice.
            source = path.stem if len(files) == 1 else "files"
            found, problems = read_notices_file(path, source=source)
            for problem in problems:
                print(f"skipped: {problem}", file=sys.stderr)
            notices.extend(found)
        yield from latest_by_notice(notices)
        return
    assert config is not None
    store = Store.open_existing(config.bot.store_location)
    try:
        yield from store.current_notices(since)
    finally:
        store.close()


def _feedback(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    from bot.chat.feedback_report import print_feedback, summarise, write_labels
    from bot.chat.store import ChatStore

    config = load_config(find_config_path(getattr(args, "config", None)))
    if args.ref is not None:
        load_ref(args.ref, config)  # an unknown set is a usage error, not "no feedback yet"
    since = parse_when(args.since, clock.now(), "--since", config.bot.zone)
    store = Store.open_existing(config.bot.store_location)
    try:
        rows = ChatStore(store).feedback(since)
    finally:
        store.close()
    sets = summarise(rows, args.ref)
    print_feedback(sets, args.format, out)
    if args.labels_out:
        try:
            count = write_labels(sets, Path(args.labels_out))
        except OSError as exc:
            raise ConfigError(f"--labels-out {args.labels_out}: cannot write: {exc}") from None
        print(f"{count} label(s) written to {args.labels_out}", file=sys.stderr)
    return EXIT_OK


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    files = expand_files(args.source_files or ())
    config = config_for(args, files)
    rule_set = load_ref(args.ref, config)
    labels = read_labels(Path(args.labels))
    notices = list(_notices_from(files, config))
    print_evaluation(evaluate(rule_set, labels, notices), args.format, out)
    return EXIT_OK


def _preview(args: argparse.Namespace, out: TextIO, clock: Clock) -> int:
    now = clock.now()
    files = expand_files(args.source_files or ())
    config = config_for(args, files)
    rule_sets = {ref: load_ref(ref, config) for ref in args.refs}
    zone = zone_of(config)
    since = parse_when(args.since, now, "--since", zone) if args.since else None
    as_of = parse_when(args.as_of, now, "--as-of", zone) if args.as_of else None
    notices = _notices_from(files, config, since)
    if args.explain or args.near_misses:
        return print_explanations(args, rule_sets, list(notices), as_of, out)
    plan = MatchPlan([(list(args.refs), Narrowing())], rule_sets.__getitem__)

    def matches() -> Iterator[tuple[Notice, Match]]:
        for notice in notices:  # streamed: one per notice, from the store or merged files
            if since is not None and notice.release_date < since:
                continue
            for _, found in plan.match(Context(notice, as_of or notice.release_date)):
                yield notice, found

    print_preview(matches(), args.format, out)
    return EXIT_OK
