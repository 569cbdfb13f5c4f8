"""The cases store: document metadata in `case_documents` (migration 0003_cases), same database and
engine as the ledger. Rows are append-only (database triggers refuse UPDATE and DELETE)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.store import Store, UTCDateTime, utcnow

metadata = sa.MetaData()
documents = sa.Table(
    "case_documents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.String(120), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("title", sa.String(400), nullable=False),
    sa.Column("author_party", sa.String(80), nullable=False),
    sa.Column("document_date", sa.Date, nullable=False),
    sa.Column("supersedes", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    case_id: str
    number: int
    role: str
    sha256: str
    size: int
    media_type: str
    filename: str
    title: str
    author_party: str
    document_date: date
    supersedes: int | None
    created_at: datetime


def _rec(r) -> DocumentRecord:
    return DocumentRecord(*r)


class CaseStore:
    """Document metadata next to the ledger (uses the ledger Store's engine and schema)."""

    def __init__(self, ledger: Store) -> None:
        self.ledger = ledger
        self.engine = ledger.engine

    def add(self, *, case_id: str, role: str, sha256: str, size: int, media_type: str, filename: str,
            title: str, author_party: str, document_date: date, supersedes: int | None = None) -> DocumentRecord:
        """Insert a row with the next number of the case (per role); retried when two writers race."""
        for _ in range(20):
            try:
                conn = self.engine.connect()
                if self.ledger.dialect == "sqlite":
                    conn.execution_options(ledger_write=True)
                with conn, conn.begin():
                    n = conn.execute(sa.select(sa.func.coalesce(sa.func.max(documents.c.number), 0)).where(
                        documents.c.case_id == case_id, documents.c.role == role)).scalar_one() + 1
                    values = dict(case_id=case_id, number=n, role=role, sha256=sha256, size=size,
                                  media_type=media_type, filename=filename[:255], title=title[:400],
                                  author_party=author_party, document_date=document_date, supersedes=supersedes,
                                  created_at=utcnow())
                    new_id = conn.execute(documents.insert().values(**values)).inserted_primary_key[0]
                return DocumentRecord(id=new_id, **values)
            except IntegrityError:
                continue
        raise RuntimeError("could not number the document: too many concurrent writers")

    def list(self, case_id: str, role: str | None = "exhibit") -> list[DocumentRecord]:
        q = sa.select(*documents.c).where(documents.c.case_id == case_id)
        if role is not None:
            q = q.where(documents.c.role == role)
        with self.engine.connect() as c:
            return [_rec(r) for r in c.execute(q.order_by(documents.c.role, documents.c.number))]

    def get(self, doc_id: int) -> DocumentRecord | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(*documents.c).where(documents.c.id == doc_id)).one_or_none()
        return _rec(r) if r else None
