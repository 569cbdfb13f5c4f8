"""A ledger with party keys, a movable clock, and a recorded determination to dispute: the engine's, its facts
deposited in the clients' encrypted store, replayed by the store's admission as in a deployment
(tests/real_determinations.py)."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from real_determinations import Recorder

from ledger.crypto import Signer
from ledger.entries import OPERATOR
from ledger.service import init_ledger, party_signer
from ledger.store import Store

CLAIMING, RESPONDING = "GM0166", "GM0193"
CASEBOOK = Path(__file__).resolve().parents[2] / "rules" / "casebook"
#: the key-encryption key of the tests' client data keys (a deployment's is BWLEDGER_DATA_KEK or its 0600 file)
TEST_KEK = bytes(range(32))


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


@dataclass
class CaseEnv:
    store: Store
    home: Path
    clock: Clock
    signers: dict[str, Signer] = field(default_factory=dict)

    @classmethod
    def create(cls, url: str, schema: str | None, home: Path) -> CaseEnv:
        clock = Clock()
        store = init_ledger(url, home / "keys", schema=schema, clock=clock)
        env = cls(store, home, clock, {OPERATOR: store.operator})
        for p in (CLAIMING, RESPONDING, "GM0200", "COMMITTEE"):
            env.signers[p] = party_signer(store, home / "keys", p)
        # as api.bootstrap.determination_deposits does: admission replays every N3/N8 on its deposit
        from ledger.determination_replay import Replayer

        store.replayer = Replayer(env.deposits)
        return env

    @property
    def docs_dir(self) -> Path:
        return self.home / "documents"

    @property
    def docs(self):
        """The clients' encrypted documents (cases.documents.ContentStore), as api.bootstrap builds them."""
        from cases.client_keys import ClientKeys
        from cases.documents import ContentStore

        return ContentStore(self.docs_dir, ClientKeys(self.store, TEST_KEK))

    @property
    def deposits(self):
        """The deposits of determinations over `docs` (cases.determination_deposits)."""
        from cases.determination_deposits import DeterminationDeposits

        return DeterminationDeposits(self.docs)

    def signer(self, party: str) -> Signer:
        return self.signers[party]

    def determination(self, *, provisional=True, client="PSN-client-0001", det_id="det-1"):
        """CLAIMING's N3 naming RESPONDING, melding 1 January 2026: provisional (BOUNDARY_365) unless asked."""
        return Recorder(self.store, self.deposits).record(
            self.signers[CLAIMING], RESPONDING, det_id, melding=date(2026, 1, 1), client=client,
            variant="BOUNDARY_365" if provisional else None, idempotency_key=f"det-{det_id}")

    def advance(self, days: int) -> None:
        self.clock.offset += timedelta(days=days)


def pdf_bytes(text: str = "Bijlage") -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 30, 200)).save(buf, "JPEG")
    return buf.getvalue()


def ooxml_bytes(kind: str) -> bytes:
    main = {"docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
            "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml")}[kind]
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Override PartName="/' + main[0] + '" ContentType="application/vnd.openxmlformats-'
             'officedocument.' + main[1] + '"/></Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr(main[0], "<x/>")
    return buf.getvalue()


def eml_bytes() -> bytes:
    return (b"From: contactpersoon@gm0166.example\r\nTo: contactpersoon@gm0193.example\r\n"
            b"Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nSubject: Overleg woonplaats\r\n\r\n"
            b"Geen overeenstemming bereikt.\r\n")


def attempt_docs(env: CaseEnv, case_id: str):
    from cases import service

    a = service.add_document(env.store, env.docs, case_id, filename="overleg.eml", data=eml_bytes(),
                             title="Verslag overleg contactpersonen", author_party=CLAIMING,
                             document_date=date(2026, 11, 2))
    b = service.add_document(env.store, env.docs, case_id, filename="regioadviseur.pdf",
                             data=pdf_bytes("Advies regioadviseur"), title="Verslag regioadviseur",
                             author_party=RESPONDING, document_date=date(2026, 11, 20))
    return a, b


def engine_determination(book: str = "p_chain.toml", case_id: str = "P01"):
    """A real determination of the project casebook, with its facts: by default P01 of p_chain.toml
    (provisional: DESIGNATION_ASSUMED; a cost bearer other than the legal college), named so that a new
    casebook file cannot change what the case tests are about."""
    import tomllib

    from rules import loader
    from rules.casebook import case_facts, load_context
    from rules.engine import determine

    reg, table = loader.municipality_register(), loader.parameter_table()
    path = CASEBOOK / book
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    ctx = load_context(raw, table, reg, path.name)
    for case in raw["case"]:
        if case.get("id") == case_id:
            facts = case_facts(case, reg)
            det = determine(facts, ctx)
            assert det.provisional and det.cost_bearer and det.cost_bearer != det.legal_college, det.case_id
            return det, facts
    raise LookupError(f"no case {case_id} in {book}")


def record_engine_determination(env: CaseEnv, det, facts, client="PSN-client-0002", book: str = "p_chain.toml"):
    """`det` (engine_determination's, of `book`) recorded by its legal college as `bwledger rules record` does."""
    for p in (det.legal_college, det.cost_bearer):
        if p not in env.signers:
            env.signers[p] = party_signer(env.store, env.home / "keys", p)
    r = Recorder(env.store, env.deposits).record_case(env.signers[det.legal_college], CASEBOOK / book, det.case_id,
                                                      client=client, idempotency_key=f"det-{det.digest}")
    import json

    assert json.loads(env.store.get_rows([r.seq])[r.seq].statement)["payload"]["determination_digest"] == det.digest
    return r
