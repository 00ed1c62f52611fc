"""`python -m bot` runs the same program as the `tenderbot` command."""

from bot.cli import main

raise SystemExit(main())
