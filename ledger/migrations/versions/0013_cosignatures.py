"""Witness cosignatures of the operator's checkpoints (issue 15):

- `ledger_cosignatures`: each cosignature line (C2SP tlog-cosignature, ledger/cosignature.py) a witness gave
  for a checkpoint note (by its tree size and root hash), as the operator collected it per C2SP tlog-witness
  (ledger/witness.py `collect`, ledger/cosigned.py): the witness's key name and key ID, the exact line and
  when it arrived. `GET /v1/checkpoint` serves the newest note with its lines appended; a bundle carries the
  same cosigned note. Rows are only added (a cosignature is a fact about a checkpoint, never changed).

Revision ID: 0013_cosignatures
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_cosignatures"
down_revision = "0012_checkpoint_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cosignatures",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(200), primary_key=True),  # the key name of the cosignature line
        sa.Column("key_id", sa.String(8), primary_key=True),  # its 4-byte key ID, hex
        sa.Column("root_hash", sa.LargeBinary, nullable=False),
        sa.Column("line", sa.Text, nullable=False),  # the whole signature line, with its final newline
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_cosignatures")
