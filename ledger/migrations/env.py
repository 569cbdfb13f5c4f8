"""Alembic environment for the ledger tables, driven from ledger.store.migrate (no alembic.ini).

The caller passes an open connection in config.attributes["connection"].
"""
from alembic import context

from ledger.store import ALEMBIC_VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=ALEMBIC_VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
