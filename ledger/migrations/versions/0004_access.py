"""Access (api/access): accounts, API tokens, server-side sessions, shared rate-limit counters and the
committee's case assignments. They live in the ledger's database and its one migration history (as the
cases' documents do) so every worker process of `bwledger serve --workers N` shares them.

Passwords are argon2id hashes, tokens and session ids are stored as SHA-256 digests only (the secret is
shown once, or held by the browser's cookie), TOTP secrets are base32 as RFC 6238 prescribes.

Revision ID: 0004_access
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_access"
down_revision = "0003_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(120), nullable=False, unique=True),
        sa.Column("party", sa.String(80), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),  # space-separated, each one of identity.ROLES
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),  # argon2id; NULL: login through OIDC only
        sa.Column("totp_secret", sa.String(64), nullable=True),  # base32 (RFC 6238); NULL: no second factor
        sa.Column("totp_last_step", sa.BigInteger, nullable=True),  # RFC 6238 5.2: a code is accepted once
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.String(32), primary_key=True),  # public id, the prefix of the shown token
        sa.Column("digest", sa.String(64), nullable=False, unique=True),  # SHA-256 of the whole token
        sa.Column("party", sa.String(80), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "access_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),  # SHA-256 of the cookie's session id
        sa.Column("account_id", sa.Integer, nullable=True),  # NULL for an OIDC identity without an account
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("party", sa.String(80), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),  # "totp": password given, second factor due; "active"
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("access_sessions_expiry", "access_sessions", ["expires_at"])
    op.create_table(
        "access_counters",
        sa.Column("bucket", sa.String(200), primary_key=True),  # e.g. "login:addr:127.0.0.1:29345678"
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_case_assignments",
        sa.Column("case_id", sa.String(200), primary_key=True),
        sa.Column("username", sa.String(120), primary_key=True),
        sa.Column("assigned_by", sa.String(120), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("access_case_assignments", "access_counters", "access_sessions", "access_tokens",
                  "access_accounts"):
        op.drop_table(table)
