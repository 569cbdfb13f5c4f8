"""The facts and the rule trail of a recorded determination, deposited with it, encrypted per client
(issue 14; the rule that uses them: ledger/determination_replay.py).

Both are kept in the clients' encrypted store (cases/documents.py, ContentStore: AES-256-GCM under the
client's own data key, named by the SHA-256 of the plaintext), so their names are digests the ledger entry
already carries:

* the facts: RFC 8785 JSON of `{"context": <context digest>, "facts": <facts_document>}`, whose SHA-256 is
  the determination's input digest (rules/input_digest.py);
* the trail: RFC 8785 JSON of `Determination.to_dict()`, whose SHA-256 is the determination digest.

A context other than the default one (a casebook's own `[context]`) is kept as its source table (JSON)
under `<documents>/contexts/<context digest>.json`; it holds no personal data (parameters and regions), and
it is read back only when rebuilding it gives that digest. Erasing a client destroys its key: the facts and
the trail are gone with it (CLIENT_ERASED), the ledger still verifies (the replay of its determinations is
reported as not run); a determination recorded after that cannot be admitted (DETERMINATION_FACTS_MISSING).
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from ledger.canonical import canonical_json
from ledger.determination_replay import Replayer
from ledger.private_files import private_dir, write_private
from rules.casebook import Malformed, _parse, load_context
from rules.context import Context
from rules.engine import Determination
from rules.facts import CaseFacts
from rules.input_digest import facts_document
from rules.loader import default_context, municipality_register, parameter_table

from .documents import ContentStore
from .errors import CLIENT_UNKNOWN, DOCUMENT_NOT_FOUND, CaseError


@lru_cache(maxsize=1)
def _default_context() -> Context:
    return default_context()


def _json_dates(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_dates(v) for v in value]
    return value


class DeterminationDeposits:
    """The deposits of determinations in the clients' encrypted store (`ledger.determination_replay.Deposits`)."""

    def __init__(self, documents: ContentStore) -> None:
        self.documents = documents
        self.contexts_dir = Path(documents.root) / "contexts"
        self._contexts: dict[str, Context] = {}  # deposited contexts read back, by digest (they never change)

    # -- writing ---------------------------------------------------------------------------------
    def deposit(self, client: str, facts: CaseFacts, ctx: Context, det: Determination,
                context_source: dict | None = None) -> None:
        """Keep the facts (under the input digest) and the whole determination (under its digest) for
        `client`; a context other than the default one with its source table."""
        doc = canonical_json({"context": ctx.digest, "facts": facts_document(facts)})
        name = self.documents.put(client, doc)
        if name != det.input_digest:  # the facts given are not the facts determined
            raise ValueError("the facts deposited are not those of the determination's input digest")
        if self.documents.put(client, canonical_json(det.to_dict())) != det.digest:
            raise ValueError("the determination's JSON does not have its digest")
        if ctx.digest != _default_context().digest:
            if context_source is None:
                raise ValueError("a context other than the default one is deposited with its source")
            path = self.contexts_dir / f"{ctx.digest}.json"
            if not path.exists():
                private_dir(self.contexts_dir)
                write_private(path, canonical_json({"context": _json_dates(context_source)}))

    # -- reading (Deposits) ----------------------------------------------------------------------
    def _get(self, client: str, digest: str) -> bytes | None:
        try:
            return self.documents.get(client, digest)
        except CaseError as exc:
            if exc.code in (DOCUMENT_NOT_FOUND, CLIENT_UNKNOWN):
                return None
            raise

    def facts_document(self, client: str, input_digest: str) -> dict | None:
        try:
            raw = self._get(client, input_digest)
        except CaseError:  # erased, or corrupt: the facts are not there to replay on
            return None
        return json.loads(raw) if raw is not None else None

    def has_trail(self, client: str, determination_digest: str) -> bool:
        try:
            return self._get(client, determination_digest) is not None
        except CaseError:
            return False

    def erased(self, client: str) -> bool:
        return self.documents.keys.erasure(client) is not None

    def trail(self, client: str, determination_digest: str) -> dict:
        """The determination's JSON (its trail included): CLIENT_ERASED after the client's erasure,
        DOCUMENT_NOT_FOUND when none is deposited."""
        raw = self.documents.get(client, determination_digest)
        return json.loads(raw)

    def context(self, digest: str) -> Context | None:
        if digest == _default_context().digest:
            return _default_context()
        if digest in self._contexts:
            return self._contexts[digest]
        path = self.contexts_dir / f"{digest}.json"
        if not path.is_file() or not all(c in "0123456789abcdef" for c in digest):
            return None
        try:
            raw = _parse(path.read_text("utf-8"), "json")
            ctx = load_context(raw, parameter_table(), municipality_register(), "vastgelegd")
        except (Malformed, ValueError, OSError):
            return None
        if ctx.digest != digest:
            return None
        self._contexts[digest] = ctx  # content-addressed: the same digest is the same context
        return ctx


def replayer(documents: ContentStore) -> Replayer:
    """The replayer admission uses (ledger.determination_replay) over these deposits."""
    return Replayer(DeterminationDeposits(documents))
