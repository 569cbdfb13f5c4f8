"""Cases: document (exhibit) metadata, append-only; the content lives content-addressed on disk.

Revision ID: 0003_cases
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0002_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),  # "Bijlage n" within the case (exhibits only)
        sa.Column("role", sa.String(20), nullable=False),  # exhibit | trail | facts
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("author_party", sa.String(80), nullable=False),
        sa.Column("document_date", sa.Date, nullable=False),
        sa.Column("supersedes", sa.Integer, nullable=True),  # the earlier version of this document
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("case_documents_number", "case_documents", ["case_id", "role", "number"], unique=True)
    op.create_index("case_documents_sha", "case_documents", ["sha256"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION case_documents_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'bwledger: % on % is refused: documents are never overwritten', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("CREATE TRIGGER case_documents_append_only BEFORE UPDATE OR DELETE ON case_documents "
                   "FOR EACH ROW EXECUTE FUNCTION case_documents_refuse_change()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER case_documents_no_{action.lower()} BEFORE {action} ON case_documents "
                       f"BEGIN SELECT RAISE(ABORT, 'bwledger: {action} on case_documents is refused: "
                       f"documents are never overwritten'); END")


def downgrade() -> None:
    raise RuntimeError("documents are append-only: the table is never dropped by a migration")
