"""A witness of the log, per C2SP tlog-witness (c2sp.org/tlog-witness), and the comparison of what two
witnesses saw.

A witness (a region, or any party) holds its own Ed25519 key, the log verifier keys it trusts (key name
= the log's origin, ledger/checkpoints.py) and, per origin, the latest checkpoint it cosigned: a small
JSON state file, mode 0600. Given a new checkpoint and a consistency proof from the size it knows, it
checks the log's signature and the proof and cosigns (ledger/cosignature.py); it refuses, saying why in
Dutch, a proof that fails, a log that went backwards, and another root at the size it cosigned (a split
view: the refused note is kept as evidence, since the log's signature on it proves the log showed two
histories). The check is the `add-checkpoint` call of tlog-witness:

    request body:  "old <size>\\n" + zero to 63 base64 proof lines + "\\n" + the checkpoint note
    200            the witness's cosignature line(s) (text/plain)
    400            a malformed request, or an old size above the checkpoint's
    403            no trusted log signature (or a trusted one that fails)
    404            an origin the witness does not know
    409            the old size is not the size it cosigned last; the body is that size (text/x.tlog.size)
    422            a proof that does not verify, or another root at the same size

Checking the old size and storing the new checkpoint happen under one lock (a file lock on the state,
and a thread lock), as the spec demands ("must be performed atomically"). `Witness.add_checkpoint` is
the protocol (the HTTP app in api/http/witness_app.py only passes bytes); `Witness.observe` is the same
check for a witness that fetches the checkpoint and proof itself (`bwledger witness poll`).
`compare_cosigned` compares two witnesses' cosigned checkpoints and reports SPLIT_VIEW with both notes.
`collect` is the operator's side: it sends a checkpoint to each configured witness and keeps the
cosignatures that verify; the transport (HTTP) is given by the caller.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .checkpoints import CheckpointText, parse_checkpoint_text
from .cosignature import (cosign, log_key, verified_cosigners, verify_cosignature, witness_verifier,
                          witness_verifiers)
from .keyfile import (
    KeyFileError,
    new_key_file,
    public_key_path,
    read_key_file,
    read_key_header,
    read_public_key_file,
)
from .merkle import EMPTY_ROOT, verify_consistency
from .note import (
    Note,
    NoteError,
    NoteSignature,
    Verifier,
    format_note,
    key_id,
    open_note,
    parse_note,
    parse_signature_lines,
)
from .private_files import private_dir, write_private

__all__ = [
    "MAX_PROOF_LINES",
    "SIZE_CONTENT_TYPE",
    "WITNESS_NAME_HEADER",
    "CollectResult",
    "Comparison",
    "Witness",
    "WitnessAnswer",
    "WitnessEndpoint",
    "WitnessRefused",
    "add_checkpoint_body",
    "collect",
    "compare_cosigned",
    "cosigned_checkpoints",
    "new_witness_key",
    "open_witness",
    "origin_hash",
    "parse_add_checkpoint",
    "read_state",
    "with_cosignatures",
    "witness_key_vkey",
]

SIZE_CONTENT_TYPE = "text/x.tlog.size"
#: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
_OLD = re.compile(r"old (0|[1-9][0-9]*)")


class WitnessRefused(Exception):
    """A refusal of the witness: the HTTP status of tlog-witness, a stable code and a Dutch message;
    `known_size` is the size the witness cosigned last (a 409's body)."""

    def __init__(self, status: int, code: str, message: str, *, known_size: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.known_size = known_size


@dataclass(frozen=True)
class WitnessAnswer:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: bytes


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: bytes) -> bytes:
    """The body of an add-checkpoint request."""
    lines = [f"old {old_size}\n"] + [base64.b64encode(h).decode() + "\n" for h in proof] + ["\n"]
    return "".join(lines).encode() + note


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Split an add-checkpoint body (400 WITNESS_REQUEST_MALFORMED when it is not one)."""
    def bad(why: str) -> WitnessRefused:
        return WitnessRefused(400, "WITNESS_REQUEST_MALFORMED", f"het verzoek is geen add-checkpoint: {why}")

    cut = body.find(b"\n\n")
    if cut < 0:
        raise bad("de lege regel tussen de kop en het controlepunt ontbreekt")
    head = body[:cut].decode("ascii", "replace").split("\n")
    m = _OLD.fullmatch(head[0])
    if not m:
        raise bad("de eerste regel is niet 'old <grootte>'")
    if len(head) - 1 > MAX_PROOF_LINES:
        raise bad(f"meer dan {MAX_PROOF_LINES} regels bewijs")
    proof = []
    for line in head[1:]:
        try:
            h = base64.b64decode(line, validate=True)
        except binascii.Error:
            h = b""
        if len(h) != 32:
            raise bad("een regel van het bewijs is geen hash van 32 bytes in base64")
        proof.append(h)
    return AddCheckpoint(int(m.group(1)), tuple(proof), body[cut + 2:])


def origin_hash(origin: str) -> str:
    """The origin hash of the monitoring path `<prefix>/<origin hash>/checkpoint`: lowercase hex SHA-256."""
    return hashlib.sha256(origin.encode()).hexdigest()


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def read_state(path: Path) -> dict:
    """A witness's state file: {"format", "logs": {origin: {"note": the latest cosigned checkpoint}}, "evidence"}
    (an empty one when the file does not exist; WITNESS_STATE_UNREADABLE when it cannot be read)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"format": "bwledger-witness/1", "logs": {}, "evidence": []}
    except (OSError, ValueError) as exc:
        raise WitnessRefused(500, "WITNESS_STATE_UNREADABLE", f"de toestand van de getuige in {path} is "
                             f"onleesbaar: {exc}") from None


def cosigned_checkpoints(path: Path) -> dict[str, bytes]:
    """Per origin, the latest checkpoint the witness of this state file cosigned (with the log's signature and
    its own): what it serves at <prefix>/<origin hash>/checkpoint."""
    return {origin: entry["note"].encode() for origin, entry in read_state(path).get("logs", {}).items()}


class Witness:
    """A witness: its name and key, the log keys it trusts (one or more per origin), its state file."""

    def __init__(self, name: str, signer, logs: Sequence[str | Verifier], state_path: Path, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.signer = signer
        self.verifier = witness_verifier(name, signer.public_key)
        self.logs: dict[str, list[Verifier]] = {}
        for vkey in logs:
            v = log_key(vkey)
            self.logs.setdefault(v.name, []).append(v)
        self.state_path = Path(state_path)
        self.clock = clock
        self._lock = threading.Lock()

    # --- state -----------------------------------------------------------------------------------
    def _read_state(self) -> dict:
        return read_state(self.state_path)

    def _write_state(self, doc: dict) -> None:
        private_dir(self.state_path.parent)
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        write_private(tmp, (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode())
        os.replace(tmp, self.state_path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict]:
        """The state, read and (when the block changed it, also when it then refused) written under the
        thread and the file lock."""
        private_dir(self.state_path.parent)
        with self._lock, open(self.state_path.with_name(self.state_path.name + ".lock"), "a") as lock:
            os.chmod(lock.name, 0o600)
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                doc = self._read_state()
                before = json.dumps(doc, sort_keys=True)
                try:
                    yield doc
                finally:  # also after a refusal: the evidence it kept
                    if json.dumps(doc, sort_keys=True) != before:
                        self._write_state(doc)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def latest(self, origin: str) -> bytes | None:
        """The latest checkpoint this witness cosigned for `origin`: the log's signature and its own
        cosignature (the monitoring answer of tlog-witness), or None."""
        with self._lock:
            entry = self._read_state()["logs"].get(origin)
        return None if entry is None else entry["note"].encode()

    def known_size(self, origin: str) -> int:
        """The size of the latest checkpoint cosigned for `origin` (0: none yet)."""
        latest = self.latest(origin)
        return 0 if latest is None else parse_checkpoint_text(parse_note(latest).text).tree_size

    def evidence(self) -> list[dict]:
        """The validly signed checkpoints this witness refused as inconsistent with what it cosigned:
        each {"code", "refused": note, "cosigned": note} (a split view or a rewrite, proven by the log's
        own signatures)."""
        with self._lock:
            return list(self._read_state().get("evidence", []))

    # --- the checks --------------------------------------------------------------------------------
    def _open(self, note_bytes: bytes) -> tuple[CheckpointText, Note, list[NoteSignature]]:
        """Parse the note, find its origin's trusted keys (404) and verify the log's signature (403)."""
        try:
            note = parse_note(note_bytes)
            cp = parse_checkpoint_text(note.text)
        except NoteError as exc:
            raise WitnessRefused(400, "WITNESS_REQUEST_MALFORMED", f"het controlepunt is onleesbaar: "
                                 f"{exc} ({exc.code})") from None
        keys = self.logs.get(cp.origin)
        if not keys:
            raise WitnessRefused(404, "WITNESS_ORIGIN_UNKNOWN", f"deze getuige kent het grootboek {cp.origin} "
                                 "niet")
        try:
            # only the log's keys: a cosignature of another witness is ignored, as any unknown signature
            _, verified = open_note(note_bytes, keys)
        except NoteError as exc:
            raise WitnessRefused(403, "WITNESS_LOG_SIGNATURE_INVALID", "het controlepunt is niet geldig "
                                 f"ondertekend door het grootboek {cp.origin} ({exc.code})") from None
        ids = {(v.name, v.key_id) for v in verified}
        return cp, note, [s for s in note.signatures if (s.name, s.key_id) in ids]

    def cosign_checkpoint(self, old_size: int, proof: Sequence[bytes], note_bytes: bytes) -> bytes:
        """The add-checkpoint check: the witness's cosignature line(s) of the checkpoint, after it is
        stored as the latest cosigned one; WitnessRefused otherwise (nothing stored)."""
        cp, note, log_sigs = self._open(note_bytes)
        if old_size > cp.tree_size:
            if old_size == self.known_size(cp.origin):
                raise _rolled_back(cp, old_size, 400)
            raise WitnessRefused(400, "WITNESS_OLD_SIZE_INVALID", f"de oude grootte {old_size} is groter dan het "
                                 f"controlepunt ({cp.tree_size})")
        if cp.tree_size == 0 and cp.root_hash != EMPTY_ROOT:
            raise WitnessRefused(422, "WITNESS_PROOF_INVALID", "een leeg grootboek heeft de root van de lege boom")
        with self._locked() as doc:
            stored = doc["logs"].get(cp.origin)
            known = None if stored is None else parse_checkpoint_text(parse_note(stored["note"].encode()).text)
            known_size = 0 if known is None else known.tree_size
            if old_size != known_size:
                if cp.tree_size < known_size:
                    raise _rolled_back(cp, known_size, 409)
                raise WitnessRefused(409, "WITNESS_OLD_SIZE_STALE", f"deze getuige tekende laatst grootte "
                                     f"{known_size}, niet {old_size}", known_size=known_size)
            if old_size == 0 and proof:
                raise WitnessRefused(422, "WITNESS_PROOF_INVALID", "vanaf grootte 0 hoort er geen bewijs bij")
            if known is not None and known.tree_size == cp.tree_size:
                if known.root_hash != cp.root_hash:
                    self._keep_evidence(doc, "SPLIT_VIEW", note_bytes, stored["note"])
                    raise WitnessRefused(422, "WITNESS_SPLIT_VIEW", f"het grootboek {cp.origin} toont bij grootte "
                                         f"{cp.tree_size} een andere root ({_b64(cp.root_hash)}) dan deze getuige "
                                         f"tekende ({_b64(known.root_hash)}): twee verschillende geschiedenissen")
                if proof:
                    raise WitnessRefused(422, "WITNESS_PROOF_INVALID", "tussen gelijke grootten hoort geen bewijs")
            elif known is not None and not verify_consistency(known.tree_size, cp.tree_size, list(proof),
                                                              known.root_hash, cp.root_hash):
                self._keep_evidence(doc, "CONSISTENCY_PROOF_INVALID", note_bytes, stored["note"])
                raise WitnessRefused(422, "WITNESS_PROOF_INVALID", f"het bewijs van consistentie van grootte "
                                     f"{known.tree_size} naar {cp.tree_size} klopt niet: het grootboek {cp.origin} "
                                     "is niet alleen aangevuld")
            line = cosign(self.name, self.signer.public_key, self.signer.sign, note.text, int(self.clock()))
            doc["logs"][cp.origin] = {"note": format_note(note.text, [*log_sigs, line]).decode()}
        return line.line().encode()

    @staticmethod
    def _keep_evidence(doc: dict, code: str, refused: bytes, cosigned: str) -> None:
        item = {"code": code, "refused": refused.decode("utf-8", "replace"), "cosigned": cosigned}
        if item not in doc.setdefault("evidence", []):
            doc["evidence"].append(item)

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        """POST <prefix>/add-checkpoint: the answer of tlog-witness to a request body (never raises)."""
        try:
            req = parse_add_checkpoint(body)
            return WitnessAnswer(200, "text/plain; charset=utf-8",
                                 self.cosign_checkpoint(req.old_size, req.proof, req.note))
        except WitnessRefused as exc:
            if exc.status == 409:
                return WitnessAnswer(409, SIZE_CONTENT_TYPE, f"{exc.known_size}\n".encode())
            return WitnessAnswer(exc.status, "text/plain; charset=utf-8",
                                 f"{exc.message} ({exc.code})\n".encode())

    def observe(self, note_bytes: bytes, proof_for: Callable[[int, int], Sequence[bytes]]) -> bytes:
        """A checkpoint this witness fetched itself, with `proof_for(old, new)` the consistency proof
        from the size it cosigned last: cosigned as add-checkpoint would (the cosignature line)."""
        cp, _, _ = self._open(note_bytes)
        old = self.known_size(cp.origin)
        if cp.tree_size < old:
            raise _rolled_back(cp, old, 409)
        proof = proof_for(old, cp.tree_size) if 0 < old < cp.tree_size else []
        return self.cosign_checkpoint(old, proof, note_bytes)


def _rolled_back(cp: CheckpointText, known_size: int, status: int) -> WitnessRefused:
    return WitnessRefused(status, "WITNESS_LOG_ROLLED_BACK", f"het grootboek {cp.origin} is teruggegaan: dit "
                          f"controlepunt heeft grootte {cp.tree_size}, deze getuige tekende al grootte {known_size}",
                          known_size=known_size)


# --- the witness's key file ---------------------------------------------------------------------------------
#: the key file header line (ledger/keyfile.py) naming the witness: its cosignatures' key name
WITNESS_NAME_HEADER = "witness-name"


def new_witness_key(path: Path, party: str, name: str, passphrase: str | bytes | None = None) -> Verifier:
    """Make a witness key for `party`: an ordinary key file (ledger/keyfile.py, 0600, FILE.pub beside it) that
    also names the witness (`bwledger-witness-name: NAME`, a schema-less URL); its cosignature/v1 verifier."""
    try:
        key_id(name, 0x04, bytes(32))  # the key name rules of signed-note
    except NoteError:
        raise KeyFileError(f"{name!r} is geen geldige naam voor een getuige (geen spaties, geen '+')") from None
    signer = new_key_file(path, party, passphrase, header={WITNESS_NAME_HEADER: name})
    return witness_verifier(name, signer.public_key)


def _witness_name(path: Path) -> str:
    name = read_key_header(path).get(WITNESS_NAME_HEADER)
    if not name:
        raise KeyFileError(f"{path} is geen sleutel van een getuige (regel 'bwledger-{WITNESS_NAME_HEADER}: ...' "
                           "ontbreekt; maak hem met 'bwledger witness key new')")
    return name


def witness_key_vkey(path: Path) -> str:
    """The vkey of a witness key file, from its header and FILE.pub (no passphrase needed)."""
    return witness_verifier(_witness_name(path), read_public_key_file(public_key_path(path))).vkey()


def open_witness(path: Path, logs: Sequence[str | Verifier], state_path: Path,
                 passphrase: str | bytes | None = None, *, clock: Callable[[], float] = time.time) -> Witness:
    """The witness of a key file, trusting the log keys `logs`, keeping its state in `state_path`."""
    name = _witness_name(path)
    return Witness(name, read_key_file(path, passphrase), logs, state_path, clock=clock)


# --- comparing what two witnesses saw ------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two cosigned checkpoints of one log: `verdict` is CONSISTENT, SPLIT_VIEW or
    UNDECIDED (different sizes and no consistency proof given); `evidence` holds both notes; `cosigners` the
    verified witness names on each."""

    verdict: str
    message: str
    a: CheckpointText
    b: CheckpointText
    evidence: tuple[bytes, bytes]
    cosigners: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def split_view(self) -> bool:
        return self.verdict == "SPLIT_VIEW"


def compare_cosigned(a: bytes, b: bytes, log_vkey: str | Verifier, witness_vkeys: Sequence[str | Verifier] = (),
                     proof: Sequence[bytes] | None = None) -> Comparison:
    """Compare two checkpoints of one log, e.g. each witness's latest cosigned one. Both must carry the log's
    valid signature (NoteError otherwise: an unsigned note proves nothing about the log). The same size with
    another root is SPLIT_VIEW (the log signed two histories). Of different sizes, `proof` (the consistency
    proof from the smaller to the larger) decides: one that fails is SPLIT_VIEW too; without one,
    UNDECIDED."""
    log = log_key(log_vkey)
    witnesses = witness_verifiers(witness_vkeys)
    # each opened as every cosigned checkpoint is (the log's signature, its origin, the witnesses' cosignatures)
    opened = [verified_cosigners(note, log, witnesses) for note in (a, b)]
    ca, cb = (o.checkpoint for o in opened)
    names = tuple(tuple(c.verifier.name for c in o.cosigners) for o in opened)

    def result(verdict: str, message: str) -> Comparison:
        return Comparison(verdict, message, ca, cb, (a, b), names)

    small, large = (ca, cb) if ca.tree_size <= cb.tree_size else (cb, ca)
    if small.tree_size == large.tree_size:
        if small.root_hash == large.root_hash:
            return result("CONSISTENT", f"beide getuigen zagen grootte {small.tree_size} met dezelfde root")
        return result("SPLIT_VIEW", f"het grootboek {log.name} ondertekende bij grootte {small.tree_size} twee "
                                    f"verschillende roots ({_b64(ca.root_hash)} en {_b64(cb.root_hash)}): het toonde "
                                    "de getuigen verschillende geschiedenissen (SPLIT_VIEW)")
    if small.tree_size == 0:
        return result("CONSISTENT", "de lege boom past bij elke boom")
    if proof is None:
        return result("UNDECIDED", f"de grootten verschillen ({ca.tree_size} en {cb.tree_size}); zonder bewijs van "
                                   "consistentie is niet te zeggen of ze bij elkaar passen")
    if verify_consistency(small.tree_size, large.tree_size, list(proof), small.root_hash, large.root_hash):
        return result("CONSISTENT", f"grootte {small.tree_size} is het begin van grootte {large.tree_size} "
                                    "(bewijs van consistentie klopt)")
    return result("SPLIT_VIEW", f"het bewijs van consistentie van grootte {small.tree_size} naar {large.tree_size} "
                                f"klopt niet: het grootboek {log.name} toonde de getuigen verschillende "
                                "geschiedenissen (SPLIT_VIEW)")


# --- the operator's side: collecting cosignatures --------------------------------------------------------
@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the operator asks: its verifier key (type 0x04) and its submission prefix URL."""

    verifier: Verifier
    url: str

    @classmethod
    def parse(cls, vkey: str, url: str) -> WitnessEndpoint:
        return cls(witness_verifiers([vkey])[0], url.rstrip("/"))


@dataclass
class CollectResult:
    """The cosignature lines that verified (one per witness at most), and per witness what went wrong."""

    lines: list[NoteSignature] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # the size each witness now knows


#: (url, body) -> (status, content type, body)
Post = Callable[[str, bytes], tuple[int, str, bytes]]


def collect(note_bytes: bytes, witnesses: Sequence[WitnessEndpoint], proof_for: Callable[[int, int], Sequence[bytes]],
            post: Post, known_sizes: dict[str, int] | None = None) -> CollectResult:
    """Send a checkpoint to each witness (add-checkpoint) with a proof from the size the operator believes it
    knows (`known_sizes` by witness name, else 0); on a 409 once more from the size the witness names. Keeps
    the cosignature lines of each witness's own key that verify on the checkpoint; a witness that refuses or
    cannot be reached is listed in `problems` (the others are still asked)."""
    note = parse_note(note_bytes)
    size = parse_checkpoint_text(note.text).tree_size
    known_sizes = known_sizes or {}
    result = CollectResult()
    for w in witnesses:
        name = w.verifier.name
        try:
            status, body = _add_checkpoint(w.url, note_bytes, size, known_sizes.get(name, 0), proof_for, post)
        except OSError as exc:  # the transport's errors (the caller wraps its HTTP client's)
            result.problems[name] = f"de getuige is niet bereikbaar: {exc}"
            continue
        if status != 200:
            result.problems[name] = f"de getuige weigerde (HTTP {status}): {body.decode('utf-8', 'replace').strip()}"
            continue
        good = _own_cosignatures(note, body, w.verifier)
        if not good:
            result.problems[name] = "de getuige gaf geen geldige medeondertekening"
            continue
        result.lines.append(good[0])
        result.sizes[name] = size
    return result


def _add_checkpoint(url: str, note_bytes: bytes, size: int, old: int,
                    proof_for: Callable[[int, int], Sequence[bytes]], post: Post) -> tuple[int, bytes]:
    """One add-checkpoint from `old`, and once more from the size a 409 names (when it is not beyond `size`):
    the last answer's status and body."""
    def send(old_size: int) -> tuple[int, str, bytes]:
        proof = proof_for(old_size, size) if 0 < old_size < size else []
        return post(url + "/add-checkpoint", add_checkpoint_body(old_size, proof, note_bytes))

    status, ctype, body = send(old)
    if status == 409 and ctype.split(";")[0].strip() == SIZE_CONTENT_TYPE:
        try:
            known = int(body.decode().strip())
        except ValueError:
            return status, body
        if known > size:
            return status, f"de getuige kent al grootte {known}, groter dan dit controlepunt ({size})".encode()
        status, _, body = send(known)
    return status, body


def _own_cosignatures(note: Note, body: bytes, verifier: Verifier) -> list[NoteSignature]:
    """The lines of an add-checkpoint answer that are cosignatures of this witness's key and verify."""
    try:
        lines = parse_signature_lines(body)
    except NoteError:
        return []
    return [s for s in lines
            if (s.name, s.key_id) == (verifier.name, verifier.key_id) and verify_cosignature(verifier, note, s)]


def with_cosignatures(note_bytes: bytes, lines: Sequence[NoteSignature]) -> bytes:
    """The checkpoint note with cosignature lines appended (each line once; the note's own lines first)."""
    note = parse_note(note_bytes)
    have = set(note.signatures)
    return format_note(note.text, [*note.signatures, *[s for s in lines if s not in have]])
