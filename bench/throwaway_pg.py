"""Throwaway PostgreSQL databases for the benches that measure both backends."""

from __future__ import annotations

import random

import psycopg


def fresh_pg_database(server: str) -> str:
    """A new empty database on the server; its URL."""
    name = f"bench_{random.getrandbits(48):012x}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{server.rpartition('/')[0]}/{name}"


def drop_pg_database(server: str, url: str) -> None:
    """Drop a database `fresh_pg_database` made."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")
