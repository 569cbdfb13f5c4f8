"""The access tables (migrations ledger/migrations/versions/0004_access.py and 0008_account_keys_notice_reads.py),
for SQLAlchemy Core."""
from __future__ import annotations

import sqlalchemy as sa

from ledger.store import UTCDateTime

metadata = sa.MetaData()

accounts = sa.Table(
    "access_accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(120), nullable=False, unique=True),
    sa.Column("party", sa.String(80), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200)),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_last_step", sa.BigInteger),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

tokens = sa.Table(
    "access_tokens", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("party", sa.String(80), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
)

sessions = sa.Table(
    "access_sessions", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("party", sa.String(80), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("provider", sa.String(200), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

counters = sa.Table(
    "access_counters", metadata,
    sa.Column("bucket", sa.String(200), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

case_assignments = sa.Table(
    "access_case_assignments", metadata,
    sa.Column("case_id", sa.String(200), primary_key=True),
    sa.Column("username", sa.String(120), primary_key=True),
    sa.Column("assigned_by", sa.String(120), nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
)

account_keys = sa.Table(
    "access_account_keys", metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("party", sa.String(80), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("registered_at", UTCDateTime),
    sa.Column("registration_seq", sa.BigInteger),
)

notice_reads = sa.Table(
    "access_notice_reads", metadata,
    sa.Column("username", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("read_at", UTCDateTime, nullable=False),
)
