"""Running it for real (issue 15): what the monitoring reads, shared by every worker process.

- `metric_counters`: the counters and histogram buckets of the Prometheus metrics (api/metrics.py), one row
  per series (`series`, the metric's name with its labels, e.g. `bwledger_login_failures_total{step="password"}`),
  added to with one upsert, so that `bwledger serve --workers N` reports one count for the whole server
  whichever worker Prometheus asks.
- `verification_runs`: one row per full verification of the ledger (`bwledger ledger verify`, `GET
  /v1/grootboek/controle`, ledger/verification_runs.py): when it finished, whether it passed, how many entries
  and problems, and which database it read (the primary or a read replica). The metrics show the last one.

Revision ID: 0009_operations
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_operations"
down_revision = "0008_account_keys_notice_reads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_counters",
        sa.Column("series", sa.String(200), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "verification_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("checkpoints", sa.BigInteger, nullable=False),
        sa.Column("problems", sa.Integer, nullable=False),
        sa.Column("replay_not_run", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verification_runs")
    op.drop_table("metric_counters")
