"""Settlement index: a derived, rebuildable table of cost lines and reversals for fast settlement.

The ledger entries stay the source of truth; `settlement_lines` holds the columns settlement needs
(denormalised: a reversal row carries the parties and the negated amount of the line it reverses),
filled by ledger.settlement.store.sync_index up to `settlement_index_state.through_seq`.

Revision ID: 0002_settlement
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_settlement"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_lines",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("fronting", sa.String(80), nullable=False),
        sa.Column("bearer", sa.String(80), nullable=False),
        sa.Column("period_from", sa.Date, nullable=False),
        sa.Column("period_to", sa.Date, nullable=False),
        sa.Column("product", sa.String(200), nullable=False),
        sa.Column("units", sa.BigInteger, nullable=False),
        sa.Column("tariff_cents", sa.BigInteger, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("historical", sa.Boolean, nullable=False),
        sa.Column("booking_quarter", sa.String(6), nullable=False),
        sa.Column("corrects", sa.String(200), nullable=True),
        sa.Column("determination_seq", sa.BigInteger, nullable=True),
        sa.Column("reverses_seq", sa.BigInteger, nullable=True),
        sa.Column("placement_id", sa.String(200), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
    )
    # covering index of the settle query: a quarter's rows in pair order, with the columns it sums
    op.create_index("settlement_lines_quarter", "settlement_lines",
                    ["booking_quarter", "fronting", "bearer", "status", "historical", "amount_cents"])
    op.create_index("settlement_lines_client", "settlement_lines", ["client"])
    op.create_index("settlement_lines_reverses", "settlement_lines", ["reverses_seq"])
    op.create_index("settlement_lines_determination", "settlement_lines", ["determination_seq"])
    op.create_table(
        "settlement_index_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("through_seq", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO settlement_index_state (id, through_seq) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("settlement_index_state")
    op.drop_index("settlement_lines_determination", "settlement_lines")
    op.drop_index("settlement_lines_reverses", "settlement_lines")
    op.drop_index("settlement_lines_client", "settlement_lines")
    op.drop_index("settlement_lines_quarter", "settlement_lines")
    op.drop_table("settlement_lines")
