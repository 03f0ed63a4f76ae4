"""Editing mappings, contracts and billing admins from the CLI, without touching psabill.toml.

:mod:`.store` reads and atomically writes the managed file, :mod:`.edits` holds
the edit operations, :mod:`.verify` checks names against the live PSA, and
:mod:`.inventory` assembles what the ``list`` commands show.
"""
