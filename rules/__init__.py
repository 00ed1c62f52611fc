"""The declarative rule engine and the curated rule sets (TOML files in `sets/`).

Rule files are data: nothing in them is ever executed.
"""
