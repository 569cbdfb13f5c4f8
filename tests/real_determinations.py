"""Real determinations for the tests (issue 14): every N3 a test records is the rules engine's, with its facts
deposited for the client, so that admission's replay (ledger/determination_replay.py) admits it as it would in
a deployment. There is no switch to turn that replay off.

A determination is made from a small casebook-style fact set: a melding at `author` (the meldgemeente, so the
legal college under the Wmo 2015) on `melding` (the reference date), a woonadres in `addressee` since 2019 (so
the cost bearer, whom the N3 is addressed to); a `variant` adds what makes it provisional, historical or
confidential (`fact_set`). The fact set is read as casebook JSON and recorded with the functions
`bwledger rules record FILE` uses (`cases.determinations.read_intake`, `draft_record`); the engine's result per
fact set, author, client and day is kept here (a boundary cache: the engine runs once per fact set), and its
facts are deposited again in each store, since every test has its own. A casebook case with its own context
(`record_case`, `record_text`) and a re-determination (`redetermination`, `redetermine_text`) go the same way.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from cases import determinations
from cases.determination_deposits import DeterminationDeposits
from cases.service import today
from ledger.crypto import Signer
from ledger.drafts import Draft
from ledger.store import AppendResult, Store

#: the client of the tests' determinations unless a test names another (api_helpers.signed's default)
CLIENT = "PSN-api-test"
KAMPEN, ZWOLLE = "GM0166", "GM0193"
WOONADRES_SINCE = date(2019, 5, 1)
MELDING = date(2026, 1, 15)


#: the fact sets beyond the plain one: what `variant` adds to it
VARIANTS = ("BOUNDARY_365", "historical", "SAFETY_CONFIDENTIAL")


def fact_set(det_id: str = "det-1", addressee: str = ZWOLLE, author: str = KAMPEN, melding: date = MELDING,
             variant: str | None = None) -> str:
    """The casebook JSON of one case: the facts whose determination is addressed to `addressee`. `variant`:
    "BOUNDARY_365" a withdrawn aanvraag at the addressee exactly 365 days before the melding (a provisional
    outcome, as casebook case E03); "historical" an existing client, in BW on the addressee's historical budget
    since 2022 (before T0); "SAFETY_CONFIDENTIAL" a women's shelter at the author since two months before the
    melding, the woonadres in the addressee before it (as case E40: provisional, its places confidential)."""
    woonadres = {"gemeente": addressee, "function": "W", "from": WOONADRES_SINCE.isoformat()}
    case = {"id": det_id, "melding": {"date": melding.isoformat(), "gemeente": author}, "addresses": [woonadres]}
    if variant == "BOUNDARY_365":
        case["applications"] = [{"kind": "aanvraag", "gemeente": addressee, "outcome": "withdrawn",
                                 "date": (melding - timedelta(days=365)).isoformat()}]
    elif variant == "historical":
        case["bw_episodes"] = [{"legal_college": addressee, "cost_bearer": addressee, "location": addressee,
                                "from": "2022-06-01", "budget": "historical"}]
    elif variant == "SAFETY_CONFIDENTIAL":
        shelter = (melding - timedelta(days=60)).isoformat()
        woonadres["to"] = (melding - timedelta(days=61)).isoformat()
        case["addresses"].append({"gemeente": author, "function": "W", "institution": "womens_shelter",
                                  "from": shelter})
        case["stays"] = [{"type": "womens_shelter", "gemeente": author, "from": shelter}]
    elif variant is not None:
        raise ValueError(f"variant: one of {VARIANTS}")
    return json.dumps({"case": [case]}, sort_keys=True)


@cache
def intake(det_id: str = "det-1", addressee: str = ZWOLLE, author: str = KAMPEN, melding: date = MELDING,
           variant: str | None = None) -> determinations.Intake:
    """The fact set read as `bwledger rules record` reads a casebook file (cached: it is the same every time)."""
    return determinations.read_intake(fact_set(det_id, addressee, author, melding, variant), "json")


_recordings: dict[tuple, determinations.Recording] = {}


@dataclass(frozen=True)
class Recorder:
    """Records real determinations in one ledger: `store` and the deposits its admission replays on."""

    store: Store
    deposits: DeterminationDeposits

    @classmethod
    def of_app(cls, app) -> Recorder:
        """The app's own store and deposits (a TestClient's `client.app`)."""
        return cls(app.state.store, app.state.deposits)

    @classmethod
    def on_home(cls, store: Store, home: Path) -> Recorder:
        """The deposits of the server whose BWLEDGER_HOME is `home` (its documents and key-encryption key), built
        as api.bootstrap builds them for `store` (which then replays the determinations it is given too)."""
        from api import bootstrap
        from api.settings import Settings

        settings = Settings(home=home, database_url=store.url, database_schema=store.schema)
        return cls(store, bootstrap.determination_deposits(settings, store))

    def recording(self, det_id: str = "det-1", addressee: str = ZWOLLE, *, author: str = KAMPEN,
                  client: str = CLIENT, melding: date = MELDING, variant: str | None = None
                  ) -> determinations.Recording:
        """The engine's determination of the fact set and its N3 draft, its facts and trail deposited for
        `client` here."""
        case = intake(det_id, addressee, author, melding, variant)
        key = (det_id, addressee, author, melding, variant, client, today(self.store))
        rec = _recordings.get(key)
        if rec is None:
            rec = _recordings[key] = determinations.draft_record(self.store, self.deposits, case, author=author,
                                                                 client=client)
        else:
            self.deposits.deposit(client, case.facts, case.context, rec.determination, case.context_source)
        return rec

    def payload(self, addressee: str = ZWOLLE, det_id: str = "det-1", **kw) -> dict:
        """The N3 payload of a real determination addressed to `addressee`, its facts deposited (see `recording`)."""
        return copy.deepcopy(self.recording(det_id, addressee, **kw).draft.payload)  # the cached draft stays as made

    def redetermination(self, previous_seq: int, addressee: str, *, author: str = KAMPEN, melding: date = MELDING,
                        trigger: str = "brp_correction") -> dict:
        """The N8 payload of the determination at `previous_seq` after new facts name `addressee` (a BRP
        correction, by default), as `bwledger rules redetermine` drafts it: its facts deposited."""
        case = intake("det-1", addressee, author, melding)
        return determinations.draft_redetermine(self.store, self.deposits, previous_seq, case, trigger=trigger,
                                                author=author).draft.payload

    def record(self, signer: Signer, addressee: str = ZWOLLE, det_id: str = "det-1", *,
               idempotency_key: str | None = None, client: str = CLIENT, **kw) -> AppendResult:
        """A real N3 signed by `signer` (the meldgemeente by default: `author` is the signer's party) and appended."""
        rec = self.recording(det_id, addressee, author=kw.pop("author", signer.party), client=client, **kw)
        return self._append(signer, rec, idempotency_key)

    def record_case(self, signer: Signer, path: Path, case_id: str, *, client: str,
                    idempotency_key: str | None = None) -> AppendResult:
        """The N3 of case `case_id` of the casebook file `path` (with its own context), as
        `bwledger rules record PATH --case ID --client CLIENT` records it."""
        return self.record_text(signer, path.read_text(encoding="utf-8"), case_id, client=client,
                                idempotency_key=idempotency_key)

    def record_text(self, signer: Signer, text: str, case_id: str, *, client: str, fmt: str = "toml",
                    idempotency_key: str | None = None) -> AppendResult:
        """The N3 of case `case_id` of casebook `text` (TOML or JSON)."""
        case = determinations.read_intake(text, fmt, case_id)
        rec = determinations.draft_record(self.store, self.deposits, case, author=signer.party, client=client)
        return self._append(signer, rec, idempotency_key)

    def redetermine_text(self, signer: Signer, previous_seq: int, text: str, case_id: str, *, trigger: str,
                         fmt: str = "toml", idempotency_key: str | None = None) -> AppendResult:
        """The N8 of the determination at `previous_seq` on the new facts of case `case_id` of casebook `text`,
        as `bwledger rules redetermine SEQ FILE --aanleiding TRIGGER` records it."""
        case = determinations.read_intake(text, fmt, case_id)
        rec = determinations.draft_redetermine(self.store, self.deposits, previous_seq, case, trigger=trigger,
                                               author=signer.party)
        return self._append(signer, rec, idempotency_key)

    def _append(self, signer: Signer, rec: determinations.Recording, idempotency_key: str | None) -> AppendResult:
        draft = rec.draft if idempotency_key is None else \
            Draft(rec.draft.kind, rec.draft.payload, idempotency_key, rec.draft.client)
        return self.store.append(*draft.signed(signer, self.store.clock()).as_item())
