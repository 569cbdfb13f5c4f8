"""Determinations are replayed at admission: an N3 (`determination`) or N8 (`redetermination`) is admitted
only when the rules engine, run again on the facts deposited with it, gives what it claims (issue 14).

Two deposits go with every recorded determination, both in the client's encrypted store (encrypted with
that client's own data key: cases/determination_deposits.py, over cases/documents.py's ContentStore), both
content-addressed so that the ledger entry already carries their addresses:

* **the facts**: the RFC 8785 JSON of `{"context": <context digest>, "facts": <the facts>}`, exactly the
  document whose SHA-256 is the determination's `input_digest` (rules/input_digest.py). So the facts are
  addressed by the input digest, and a deposit that is not the facts of that digest cannot be stored under
  it. A context other than the default one (a casebook's own `[context]`) is deposited too, addressed by
  its digest (`context_version`);
* **the rule trail**: the RFC 8785 JSON of the whole determination (`rules.engine.Determination.to_dict()`,
  its trail included), whose SHA-256 is the `determination_digest` the entry carries. The parties to the
  determination and the committee read it back by that digest, years later, without the facts file.

The rule (family `determination_replay`, from rule set 2026-12-04b, ledger/data/admission.toml): the facts of
the entry's input digest are deposited for its client (else `DETERMINATION_FACTS_MISSING`), the context it
names is known (the default context, or a deposited one), and `rules.engine.determine` on them
(`rules.redetermine.redetermine` after the replayed previous determination, for an N8) gives the entry's
input digest, outcome (cost bearer, budget, class, new client, legal college, entry kind), flags,
provisional mark, rule set version, reference date (the melding date) and determination digest (else
`DETERMINATION_REPLAY_MISMATCH`, naming the first field that differs); the trail is deposited (else
`DETERMINATION_FACTS_MISSING`). An N8 that changes nothing of the determination it replaces (its outcome,
flags, provisional mark or reference date: `changed`) is refused (`REDETERMINATION_UNCHANGED`).

The facts can only be read where the clients' key-encryption key is (the server). Admission gets them
through a `Replayer` the composition root gives the store (`Store.replayer`); a store without one (a verify
without the KEK) does not run the replay and says so: `ledger verify` reports the check as not run, never as
passed (`replay_not_run`). So does a verify for a client whose data key was destroyed (erasure): its facts are
gone on purpose, and the entries admitted before still verify.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from rules.casebook import Malformed, case_facts
from rules.context import Context
from rules.engine import Determination, FactsError, determine
from rules.loader import municipality_register
from rules.redetermine import TRIGGERS, redetermine

from .entitlements import RefInfo
from .errors import (
    DETERMINATION_FACTS_MISSING,
    DETERMINATION_REPLAY_MISMATCH,
    REDETERMINATION_UNCHANGED,
    LedgerError,
)

FAMILY = "determination_replay"
MEMORY = 4096  # replayed determinations a Replayer remembers (an N8 needs the one before; a batch warms them)
#: the outcome fields an N8 must change (the engine's outcome: cost bearer, budget, class, legal college)
OUTCOME_FIELDS = ("cost_bearer", "budget", "client_class", "statutory_college")


class Deposits(Protocol):
    """What admission needs of the deposits (cases/determination_deposits.py gives it)."""

    def facts_document(self, client: str, input_digest: str) -> dict | None:
        """The deposited facts document of `input_digest` for `client` (its JSON), or None."""

    def context(self, digest: str) -> Context | None:
        """The context of that digest (the default one, or a deposited one), or None."""

    def has_trail(self, client: str, determination_digest: str) -> bool:
        """Whether the determination's JSON (with its trail) is deposited for `client`."""

    def erased(self, client: str) -> bool:
        """Whether the client's data key was destroyed (its deposits are gone by design)."""


def expected_payload(det: Determination, reference_date: date) -> dict[str, Any]:
    """The fields of an N3/N8 payload that follow from the engine's determination (the one mapping;
    ledger.service.determination_payload builds a payload from it)."""
    return {"determination_id": det.case_id, "determination_digest": det.digest, "input_digest": det.input_digest,
            "ruleset_version": det.ruleset_version, "context_version": det.context_digest,
            "reference_date": reference_date.isoformat(),
            "outcome": {"cost_bearer": det.cost_bearer, "budget": det.budget, "client_class": det.klass,
                        "new_client": det.new_client, "statutory_college": det.legal_college,
                        "entry_kind": det.entry},
            "flags": list(det.flag_names), "provisional": det.provisional}


def _first_difference(claimed: dict, expected: dict, prefix: str = "") -> str | None:
    for key, want in expected.items():
        have = claimed.get(key)
        if isinstance(want, dict):
            found = _first_difference(have if isinstance(have, dict) else {}, want, f"{prefix}{key}.")
            if found:
                return found
        elif (list(have) if isinstance(have, (list, tuple)) else have) != want:
            return f"{prefix}{key}"
    return None


class Replayer:
    """Replays determinations on their deposits; remembers the replayed ones (an N8 needs the one before)."""

    def __init__(self, deposits: Deposits, *, verifying: bool = False) -> None:
        self.deposits = deposits
        # replayed determinations with the melding date of their facts (so the facts are decrypted once)
        self._done: dict[tuple, tuple[Determination, str | None]] = {}
        self._trails: set[tuple[str, str]] = set()  # (client, digest) whose trail was found deposited
        # verify: a determination of an erased client cannot be replayed (its facts were destroyed on purpose);
        # that is "not run", never a problem. On append it is DETERMINATION_FACTS_MISSING like any missing deposit.
        self.verifying = verifying
        self.skipped: set[tuple[str, str]] = set()  # (client, determination digest) not replayed in verify

    def for_verify(self) -> Replayer:
        """The replayer `ledger verify` uses: the same deposits and memory, erased clients not run."""
        out = Replayer(self.deposits, verifying=True)
        out._done, out._trails = self._done, self._trails
        return out

    def determination(self, client: str, payload: dict, lookup: Callable[[int], RefInfo | None]
                      ) -> tuple[Determination | None, LedgerError | None]:
        """The engine's determination for an N3/N8 payload (JSON), replayed on its deposits."""
        done, err = self._replayed(client, payload, lookup)
        return (done[0] if done else None), err

    def _replayed(self, client: str, payload: dict, lookup: Callable[[int], RefInfo | None]
                  ) -> tuple[tuple[Determination, str | None] | None, LedgerError | None]:
        """(the determination, the melding date of its facts), remembered per what the replay depends on."""
        previous = payload.get("previous") or {}
        # what the replay depends on (never what the entry claims to come out of it)
        key = (client, payload["input_digest"], payload["context_version"], payload["determination_id"],
               previous.get("seq"), previous.get("entry_hash"), payload.get("trigger"))
        if key in self._done:
            return self._done[key], None
        doc = self.deposits.facts_document(client, payload["input_digest"])
        if doc is None:
            return None, LedgerError(DETERMINATION_FACTS_MISSING, f"geen feiten bewaard voor cliënt {client} onder "
                                                                  f"invoerdigest {payload['input_digest'][:16]}")
        ctx_digest = doc.get("context") if isinstance(doc, dict) else None
        if ctx_digest != payload["context_version"]:
            return None, LedgerError(DETERMINATION_REPLAY_MISMATCH, "context_version: de bewaarde feiten horen bij "
                                                                    "een andere context")
        ctx = self.deposits.context(ctx_digest)
        if ctx is None:
            return None, LedgerError(DETERMINATION_FACTS_MISSING, f"context {ctx_digest[:16]} is niet bekend")
        facts_json = doc.get("facts")
        if not isinstance(facts_json, dict):
            return None, LedgerError(DETERMINATION_FACTS_MISSING, "de bewaarde gegevens bevatten geen feiten")
        try:
            facts = case_facts({**facts_json, "id": payload["determination_id"]}, municipality_register())
        except (Malformed, FactsError, ValueError) as exc:
            return None, LedgerError(DETERMINATION_REPLAY_MISMATCH, f"de bewaarde feiten zijn niet te lezen: {exc}")
        previous_ref = payload.get("previous")
        try:
            if previous_ref is None:
                det = determine(facts, ctx)
            else:
                before = lookup(previous_ref["seq"])
                if before is None:  # resolved by admission's references before this rule runs
                    return None, LedgerError(DETERMINATION_REPLAY_MISMATCH, "previous: niet gevonden")
                prev, err = self.determination(client, before.payload, lookup)
                if err:
                    return None, LedgerError(err.code, f"vorige beoordeling {before.seq}: {err.message}")
                if payload.get("trigger") not in TRIGGERS:
                    return None, LedgerError(DETERMINATION_REPLAY_MISMATCH, "trigger: geen aanleiding van R15")
                det = redetermine(prev, facts, ctx, payload["trigger"])
        except (FactsError, ValueError) as exc:
            return None, LedgerError(DETERMINATION_REPLAY_MISMATCH, f"de regels weigeren de bewaarde feiten: {exc}")
        melding = facts_json.get("melding")
        self._done[key] = done = (det, melding.get("date") if isinstance(melding, dict) else None)
        while len(self._done) > MEMORY:  # a server replays for years: keep the latest only
            self._done.pop(next(iter(self._done)), None)
        return done, None

    def warm(self, client: str, payload: dict) -> None:
        """Replay an N3 ahead of admission (the store calls this before it takes the write lock), so that
        admission under the lock finds the engine's result made; its answer is admission's to give."""
        if payload.get("previous") is None:
            self.determination(client, payload, lambda _seq: None)

    def problem(self, client: str, payload: dict, lookup: Callable[[int], RefInfo | None]) -> LedgerError | None:
        """Why the N3/N8 `payload` (JSON) is not what the engine gives on its deposits, or None."""
        if self.verifying and self.deposits.erased(client):
            self.skipped.add((client, payload["determination_digest"]))
            return None
        done, err = self._replayed(client, payload, lookup)
        if err:
            return err
        det, melding_date = done
        reference = date.fromisoformat(payload["reference_date"])
        if melding_date != payload["reference_date"]:
            return LedgerError(DETERMINATION_REPLAY_MISMATCH, "reference_date: niet de meldingsdatum van de feiten")
        field = _first_difference(payload, expected_payload(det, reference))
        if field:
            return LedgerError(DETERMINATION_REPLAY_MISMATCH, f"{field}: de regels, opnieuw toegepast op de bewaarde "
                                                              "feiten, geven een andere waarde")
        if (client, det.digest) not in self._trails:
            if not self.deposits.has_trail(client, det.digest):
                return LedgerError(DETERMINATION_FACTS_MISSING, f"het regelspoor van {det.digest[:16]} is niet bewaard")
            self._trails.add((client, det.digest))  # deposits are written once and never change
            while len(self._trails) > MEMORY:
                self._trails.pop()
        return None


def changed(old: dict, new: dict) -> list[str]:
    """What a re-determination (JSON payload `new`) changes against the determination it replaces (`old`):
    the outcome (cost bearer, budget, class, legal college), the flags (a SAFETY_CONFIDENTIAL raised makes the
    client's places confidential), the provisional mark, the reference date. Empty: nothing to record."""
    out = [f"outcome.{f}" for f in OUTCOME_FIELDS
           if (old.get("outcome") or {}).get(f) != (new.get("outcome") or {}).get(f)]
    if sorted(old.get("flags") or ()) != sorted(new.get("flags") or ()):
        out.append("flags")
    out += [f for f in ("provisional", "reference_date") if old.get(f) != new.get(f)]
    return out


def unchanged_problem(payload: dict, previous: RefInfo) -> LedgerError | None:
    """An N8 that changes nothing of the determination it replaces (`changed`) records nothing new."""
    if not changed(previous.payload, payload):
        return LedgerError(REDETERMINATION_UNCHANGED, f"de herbeoordeling verandert niets aan grootboekregel "
                                                      f"{previous.seq} (uitkomst, signaleringen, peildatum)")
    return None
