"""Two indexes of ledger_entries made for what they serve, on PostgreSQL (issue 11, the append floor):

- `ledger_entries_kind` leaves out cost lines (`WHERE kind <> 'cost_line'`). It serves the look-ups of
  the kinds that are few (keys, cases, notices, determinations, seals); cost lines are most of a ledger
  (monthly lines per client), and a query for them reads most of the table, which the planner does
  without this index. Every cost line appended no longer pays an insert into it.
- `ledger_entries_received` is a BRIN index (a summary of received_at per range of table pages) instead
  of a B-tree: received_at never goes back along seq (admission refuses it, verify reports
  RECEIVED_AT_REGRESSION) and the table is append-only, so the rows of a period lie in consecutive
  pages, which is what BRIN needs; rows_received_between (a party's bundle of a period) reads those
  ranges and checks each row. An append only touches the summary of the last range.

Together they took the server's CPU for a bare COPY and commit of the bench's rows from about 11 to 7
microseconds per row, and for the append itself from about 11.2 to 10.3 per entry (ledger/README.md,
"The PostgreSQL append"); the queries they serve keep an index (tests/ledger/test_append_indexes.py
reads the plans). SQLite keeps both as B-trees:
it has no BRIN, and its partial index would not serve `INDEXED BY ledger_entries_kind` for
`kind = ?` (SQLite does not prove `kind = 'x'` implies `kind <> 'cost_line'`).

Revision ID: 0009_append_indexes
"""
from alembic import op

revision = "0009_append_indexes"
down_revision = "0008_account_keys_notice_reads"
branch_labels = None
depends_on = None

#: the kind the kind index leaves out
UNINDEXED_KIND = "cost_line"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ledger_entries_kind")
    op.execute(f"CREATE INDEX ledger_entries_kind ON ledger_entries (kind) WHERE kind <> '{UNINDEXED_KIND}'")
    op.execute("DROP INDEX ledger_entries_received")
    op.execute("CREATE INDEX ledger_entries_received ON ledger_entries USING brin (received_at) "
               "WITH (autosummarize = on)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ledger_entries_kind")
    op.execute("CREATE INDEX ledger_entries_kind ON ledger_entries (kind)")
    op.execute("DROP INDEX ledger_entries_received")
    op.execute("CREATE INDEX ledger_entries_received ON ledger_entries (received_at)")
