"""Browser signing and the notices inbox (issue 14), in the access part of the database:

- `access_account_keys`: the key a person's browser made (WebCrypto Ed25519, non-extractable, kept in the
  browser's IndexedDB) and asked to have registered: its key id, its raw public key, the account it belongs
  to (the label; no person's name enters the append-only ledger), and once the operator registered it, the
  seq of the `key_registration` entry. One row per key: a new browser makes a new key.
- `access_notice_reads`: which person (the account's username, or the OpenID subject) has opened which notice (a ledger entry, by seq): the inbox's
  unread/read is per person, not per party, and is no ledger fact.

Revision ID: 0008_account_keys_notice_reads
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_account_keys_notice_reads"
down_revision = "0007_pool_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_account_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),  # hex SHA-256 of the raw public key
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("party", sa.String(80), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),  # raw Ed25519 key, hex
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_seq", sa.BigInteger, nullable=True),
    )
    op.create_index("access_account_keys_user", "access_account_keys", ["username"])
    op.create_table(
        "access_notice_reads",
        sa.Column("username", sa.String(200), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("access_notice_reads")
    op.drop_index("access_account_keys_user", "access_account_keys")
    op.drop_table("access_account_keys")
