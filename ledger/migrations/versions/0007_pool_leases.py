"""Pool leases: the places of the bounded pools of expensive work (api/http/pool_leases.py), shared by every
worker process of `bwledger serve --workers N`, so a pool's size and queue hold for the server as a whole.

A row is one place of one pool (`pool`, e.g. "verify:run" or "verify:admit", and its `slot`), held by one
worker process (`holder`) under a random `lease` id until `expires_at`. The holder renews its leases while
the work runs; a killed worker stops renewing, and its places are free again once they expired.

Revision ID: 0007_pool_leases
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_pool_leases"
down_revision = "0006_client_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_leases",
        sa.Column("pool", sa.String(40), primary_key=True),
        sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("lease", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pool_leases")
