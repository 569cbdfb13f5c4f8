"""Client keys: each client's data key, wrapped by the deployment's key-encryption key (held outside the
database), and the record of its erasure (cases/client_keys.py).

A row is inserted once; the one change allowed is the erasure: the wrapped key becomes NULL and erased_at,
erased_by and erase_reason are set, once. Triggers refuse every other UPDATE (an erased key never comes
back, a live key is never swapped) and every DELETE (the erasure record stays).

Revision ID: 0006_client_keys
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_client_keys"
down_revision = "0005_audit"
branch_labels = None
depends_on = None

_MESSAGE = "bwledger: client_keys: only an erasure (the key destroyed, once, with who, when and why) is allowed"


def upgrade() -> None:
    op.create_table(
        "client_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),  # random; also the folder of its documents
        sa.Column("client", sa.String(200), nullable=False, unique=True),  # the pseudonym
        sa.Column("kek_id", sa.String(16), nullable=False),  # fingerprint of the KEK that wrapped it
        sa.Column("wrapped_key", sa.LargeBinary, nullable=True),  # nonce || AES-GCM(KEK); NULL once erased
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_by", sa.String(200), nullable=True),
        sa.Column("erase_reason", sa.String(400), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION client_keys_only_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
                   AND NEW.wrapped_key IS NULL AND NEW.erased_by IS NOT NULL AND NEW.erase_reason IS NOT NULL
                   AND NEW.key_id = OLD.key_id AND NEW.client = OLD.client AND NEW.kek_id = OLD.kek_id
                   AND NEW.created_at = OLD.created_at THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("CREATE TRIGGER client_keys_erasure_only BEFORE UPDATE OR DELETE ON client_keys "
                   "FOR EACH ROW EXECUTE FUNCTION client_keys_only_erasure()")
    else:
        op.execute(f"CREATE TRIGGER client_keys_no_delete BEFORE DELETE ON client_keys "
                   f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
        op.execute(f"CREATE TRIGGER client_keys_erasure_only BEFORE UPDATE ON client_keys "
                   f"WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.wrapped_key IS NULL "
                   f"AND NEW.erased_by IS NOT NULL AND NEW.erase_reason IS NOT NULL AND NEW.key_id = OLD.key_id "
                   f"AND NEW.client = OLD.client AND NEW.kek_id = OLD.kek_id AND NEW.created_at = OLD.created_at) "
                   f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def downgrade() -> None:
    raise RuntimeError("client keys hold the erasure records: the table is never dropped by a migration")
