"""Source adapters: turn remote feeds into normalised `Notice` records.

Nothing in this package knows about rules, subscriptions or chat.
"""
