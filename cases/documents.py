"""Exhibits: what is accepted, and the content-addressed store on disk.

Accepted: PDF, PNG, JPEG, .docx, .xlsx, .eml. The content must match its type: PDF, PNG and JPEG by
their signatures; .docx/.xlsx must be a ZIP whose [Content_Types].xml declares the main part of a
WordprocessingML / SpreadsheetML document; .eml must parse as an RFC 5322 message with at least a
From or Date header and a body or parts. Anything else is refused with a stable code and nothing is
stored. Content lives encrypted with its client's own key under <documents_dir>/<key_id>/<sha[:2]>/<sha>
(ContentStore), named by the SHA-256 of its plaintext, written once (same bytes, same name).
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.private_files import private_dir, write_private

from .client_keys import ClientKeys
from .errors import (CLIENT_UNKNOWN, DOCUMENT_CONTENT_MISMATCH, DOCUMENT_CORRUPT, DOCUMENT_EMPTY, DOCUMENT_NOT_FOUND,
                     DOCUMENT_TOO_LARGE, DOCUMENT_TYPE_REFUSED, CaseError)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".eml": "message/rfc822",
}
_OOXML_MAIN = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_MAGIC = b"BWE1"
_NONCE = 12
_DOC_AAD = b"bwledger-document/1\x00"
PAGED = frozenset({"application/pdf", "image/png", "image/jpeg"})  # appended to the dossier as pages


@dataclass(frozen=True)
class CheckedContent:
    sha256: str
    size: int
    media_type: str
    extension: str


def _mismatch(filename: str, what: str) -> CaseError:
    return CaseError(DOCUMENT_CONTENT_MISMATCH, f"{filename}: the content is not {what}")


def check_content(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedContent:
    """Validate an exhibit; raise CaseError with DOCUMENT_* codes when it is refused."""
    ext = os.path.splitext(filename)[1].lower()
    media = MEDIA_TYPES.get(ext)
    if media is None:
        raise CaseError(DOCUMENT_TYPE_REFUSED, f"{filename}: type {ext or '(geen extensie)'} is not accepted; "
                                               "accepted: PDF, PNG, JPEG, .docx, .xlsx, .eml")
    if len(data) > max_bytes:
        raise CaseError(DOCUMENT_TOO_LARGE, f"{filename}: {len(data)} bytes is above the limit of {max_bytes} bytes")
    if not data:
        raise CaseError(DOCUMENT_EMPTY, f"{filename}: the file is empty")
    if media == "application/pdf":
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
            raise _mismatch(filename, "a PDF (%PDF- header and %%EOF trailer)")
    elif media == "image/png":
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise _mismatch(filename, "a PNG image (PNG signature)")
    elif media == "image/jpeg":
        if not (data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00").endswith(b"\xff\xd9")):
            raise _mismatch(filename, "a JPEG image (SOI/EOI markers)")
    elif ext in _OOXML_MAIN:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                types = z.read("[Content_Types].xml").decode("utf-8", "replace")
                bad = z.testzip()
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
            raise _mismatch(filename, f"an Office Open XML {ext} file (a ZIP with [Content_Types].xml)") from None
        if bad is not None or _OOXML_MAIN[ext] not in types:
            raise _mismatch(filename, f"a {ext} document ([Content_Types].xml does not declare {_OOXML_MAIN[ext]})")
    elif media == "message/rfc822":
        try:
            msg = BytesParser(policy=policy.default).parsebytes(data)
            ok = not msg.defects and (msg["From"] is not None or msg["Date"] is not None) and \
                (msg.is_multipart() or bool(msg.get_payload()))
        except Exception:  # noqa: BLE001 - any parser failure means "not a message"
            ok = False
        if not ok:
            raise _mismatch(filename, "an RFC 5322 e-mail message (headers with From/Date, then a body)")
    return CheckedContent(hashlib.sha256(data).hexdigest(), len(data), media, ext)


class ContentStore:
    """A client's exhibits and evidence, content-addressed and encrypted with that client's own data key.

    The name of a document is the SHA-256 of its plaintext (the id the ledger and case_documents reference);
    on disk is `<root>/<key_id>/<sha[:2]>/<sha>`: `BWE1`, a 12-byte nonce and the AES-256-GCM ciphertext
    under the client's data key (cases/client_keys.py), bound to its key id and SHA-256 (so a file moved to
    another name or client does not decrypt). Files are written once (same bytes, same name), mode 0600 in
    0700 folders. After the client's erasure every read is CLIENT_ERASED ("gegevens gewist")."""

    def __init__(self, root: Path, keys: ClientKeys) -> None:
        self.root = Path(root)
        self.keys = keys

    def path(self, key_id: str, sha256: str) -> Path:
        return self.root / key_id / sha256[:2] / sha256

    @staticmethod
    def _aad(key_id: str, sha256: str) -> bytes:
        return _DOC_AAD + key_id.encode() + b"\x00" + sha256.encode()

    def put(self, client: str, data: bytes) -> str:
        """Store `data` for `client`; its SHA-256 (of the plaintext)."""
        sha = hashlib.sha256(data).hexdigest()
        key = self.keys.key_for(client, create=True)
        p = self.path(key.key_id, sha)
        if p.exists():
            return sha
        private_dir(p.parent)
        nonce = os.urandom(_NONCE)
        blob = _MAGIC + nonce + AESGCM(key.key).encrypt(nonce, data, self._aad(key.key_id, sha))
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        write_private(tmp, blob)  # 0600 in 0700 folders (ledger.private_files); never rewritten: named by its hash
        os.replace(tmp, p)
        return sha

    def get(self, client: str, sha256: str) -> bytes:
        """The plaintext of `sha256` for `client`: CLIENT_ERASED after its erasure, DOCUMENT_NOT_FOUND or
        DOCUMENT_CORRUPT when the file is missing or no longer decrypts to its SHA-256."""
        try:
            key = self.keys.key_for(client)
        except CaseError as exc:
            if exc.code != CLIENT_UNKNOWN:
                raise
            return self._adopt_legacy(client, sha256)  # nothing stored under a key for it yet
        p = self.path(key.key_id, sha256)
        try:
            blob = p.read_bytes()
        except OSError:
            return self._adopt_legacy(client, sha256)
        try:
            if not blob.startswith(_MAGIC):
                raise InvalidTag
            data = AESGCM(key.key).decrypt(blob[4:4 + _NONCE], blob[4 + _NONCE:], self._aad(key.key_id, sha256))
        except InvalidTag:
            raise CaseError(DOCUMENT_CORRUPT, f"stored content {sha256[:16]} does not decrypt with its client's key") \
                from None
        if hashlib.sha256(data).hexdigest() != sha256:  # pragma: no cover - the AAD binds the name
            raise CaseError(DOCUMENT_CORRUPT, f"stored content {sha256[:16]} no longer has its SHA-256")
        return data

    def legacy_path(self, sha256: str) -> Path:
        """Where a store written before the encryption kept `sha256` in plain text: <root>/<sha[:2]>/<sha>."""
        return self.root / sha256[:2] / sha256

    def _adopt_legacy(self, client: str, sha256: str) -> bytes:
        """A document of a store from before the encryption: encrypted under its client's key on its
        first read, and the plain-text file removed; DOCUMENT_NOT_FOUND when there is none."""
        old = self.legacy_path(sha256)
        try:
            data = old.read_bytes()
        except OSError:
            raise CaseError(DOCUMENT_NOT_FOUND, f"no stored content {sha256[:16]}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CaseError(DOCUMENT_CORRUPT, f"stored content {sha256[:16]} no longer has its SHA-256")
        self.put(client, data)
        old.unlink(missing_ok=True)
        return data

    def remove_client(self, key_id: str) -> int:
        """Remove the files of the client whose key is `key_id` (after its erasure: unreadable anyway);
        how many were removed."""
        folder = self.root / key_id
        if not folder.is_dir():
            return 0
        files = [f for f in folder.rglob("*") if f.is_file()]
        shutil.rmtree(folder)
        return len(files)
