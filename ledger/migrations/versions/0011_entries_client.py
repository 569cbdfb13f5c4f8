"""An index on the client of a ledger entry (with its kind), for the reads by client: a client's confidentiality
(its determinations and notices: ledger/confidential_locations.py, read for every placement and every line
booked), its placement records, its trail and dossier. Without it each such read walked the kind index over
the whole log: quadratic at national size (issue 15, `bwledger demo --scale national`). Reads only: no
entry, hash or rule changes.

Revision ID: 0011_entries_client
"""
from alembic import op

revision = "0011_entries_client"
down_revision = "0010_append_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ledger_entries_client", "ledger_entries", ["client", "kind"])


def downgrade() -> None:
    op.drop_index("ledger_entries_client", "ledger_entries")
