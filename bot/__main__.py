"""`python -m bot` runs the same program as the `tenderbot` command."""

from bot.launcher import main

raise SystemExit(main())
