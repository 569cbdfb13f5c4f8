"""Checkpoints as C2SP signed notes (issue 15):

- `ledger_checkpoints.note`: the exact bytes of the checkpoint note the operator signed (C2SP
  tlog-checkpoint text signed as a C2SP signed-note, ledger/checkpoints.py), for checkpoints created from
  `note_from` (ledger/data/checkpoints.toml) on; NULL for the RFC 8785 JSON checkpoints before it, whose
  body is recomputed from the row (ledger/entries.py checkpoint_body). `signature` holds the note's
  Ed25519 signature for a note row, so the column stays what it was: the operator's signature.
- `ledger_log`: one row, the log's origin (the first line of every checkpoint note and the key name of
  its signature). Written once, at the first checkpoint note; it never changes.

Revision ID: 0009_checkpoint_notes
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_checkpoint_notes"
down_revision = "0008_account_keys_notice_reads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ledger_checkpoints", sa.Column("note", sa.LargeBinary, nullable=True))
    op.create_table(
        "ledger_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("origin", sa.String(200), nullable=False),
    )
    # the origin is written once and never changed: the append-only triggers of 0001 on its table too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER ledger_log_append_only BEFORE UPDATE OR DELETE ON ledger_log "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        op.execute("CREATE TRIGGER ledger_log_no_truncate BEFORE TRUNCATE ON ledger_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ledger_log_no_{action.lower()} BEFORE {action} ON ledger_log "
                       f"BEGIN SELECT RAISE(ABORT, 'bwledger: {action} on ledger_log is refused: "
                       f"the origin never changes'); END")


def downgrade() -> None:
    raise RuntimeError("the ledger is append-only: its tables are never dropped by a migration")
