"""The tenderbot daemon: config, store, event flow, delivery and the command line."""

__version__ = "0.1.0"
