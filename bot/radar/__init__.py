"""The re-tender radar: contracts of a charity's kind, and when each is likely to be let again."""
