"""Audit (api/access/audit.py): who read or wrote what, as two logs aligned with the Logboek
Dataverwerkingen: `audit_access` (who: subject, party, roles, provider, client address) and
`audit_processing` (what: operation, resource and its ids, purpose, result), linked by `access_id` only,
so a user's identity never appears in a processing record. Both are append-only (triggers refuse
UPDATE and DELETE, on PostgreSQL TRUNCATE too, as for the ledger's entries) and hash-chained;
`audit_head` is the one row an append locks (PostgreSQL SELECT ... FOR UPDATE; SQLite BEGIN IMMEDIATE)
so two writers never fork a chain, and the unique index on each table's prev_hash refuses a fork
should anything bypass that lock.

Revision ID: 0005_audit
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_audit"
down_revision = "0004_access"
branch_labels = None
depends_on = None

ZERO_HASH = bytes(32)
TABLES = ("audit_access", "audit_processing")


def upgrade() -> None:
    op.create_table(
        "audit_access",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("access_id", sa.String(32), nullable=False, unique=True),  # the link to the processing log
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),  # NULL: anonymous
        sa.Column("party", sa.String(80), nullable=True),
        sa.Column("roles", sa.String(200), nullable=False),  # space-separated, sorted; "" when anonymous
        sa.Column("provider", sa.String(200), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),  # the client's IP address
        sa.Column("prev_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("record_hash", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "audit_processing",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation", sa.String(80), nullable=False),  # the handler's operationId or the command
        sa.Column("resource", sa.String(40), nullable=False),  # the kind: case, dossier, exhibit, bundle ...
        sa.Column("ids", sa.Text, nullable=False),  # RFC 8785 JSON object of the resource's ids
        sa.Column("parties", sa.String(400), nullable=False),  # " GM0166 GM0193 ": the parties whose data it is
        sa.Column("client", sa.String(64), nullable=True),  # the client's pseudonym (an AVG inzageverzoek)
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),  # allowed | refused
        sa.Column("status", sa.Integer, nullable=False),  # the HTTP status or the command's exit code
        sa.Column("access_id", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("record_hash", sa.LargeBinary, nullable=False),
    )
    op.create_index("audit_processing_client", "audit_processing", ["client"])
    op.create_index("audit_processing_at", "audit_processing", ["at"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("access_size", sa.BigInteger, nullable=False),
        sa.Column("access_hash", sa.LargeBinary, nullable=False),
        sa.Column("processing_size", sa.BigInteger, nullable=False),
        sa.Column("processing_hash", sa.LargeBinary, nullable=False),
    )
    head = sa.table("audit_head", sa.column("id"), sa.column("access_size"), sa.column("access_hash"),
                    sa.column("processing_size"), sa.column("processing_hash"))
    op.bulk_insert(head, [{"id": 1, "access_size": 0, "access_hash": ZERO_HASH, "processing_size": 0,
                           "processing_hash": ZERO_HASH}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'bwledger: % on % is refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()")
    else:
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'bwledger: {action} on {table} is refused: "
                           f"the audit log is append-only'); END")


def downgrade() -> None:
    raise RuntimeError("the audit log is append-only: its tables are never dropped by a migration")
