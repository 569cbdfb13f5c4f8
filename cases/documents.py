"""Exhibits: what is accepted, and the content-addressed store on disk.

Accepted: PDF, PNG, JPEG, .docx, .xlsx, .eml. The content must match its type: PDF, PNG and JPEG by
their signatures; .docx/.xlsx must be a ZIP whose [Content_Types].xml declares the main part of a
WordprocessingML / SpreadsheetML document; .eml must parse as an RFC 5322 message with at least a
From or Date header and a body or parts. Anything else is refused with a stable code and nothing is
stored. Content lives under <documents_dir>/<sha[:2]>/<sha>, written once (same bytes, same name).
"""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from ledger.private_files import private_dir, write_private

from .errors import (DOCUMENT_CONTENT_MISMATCH, DOCUMENT_CORRUPT, DOCUMENT_EMPTY, DOCUMENT_NOT_FOUND,
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
    """Content-addressed files; a name is the SHA-256 of its bytes, so nothing is ever overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        p = self.path(sha)
        if p.exists():
            return sha
        private_dir(p.parent)
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        write_private(tmp, data)  # 0600 in 0700 folders (ledger.private_files); never rewritten: named by its hash
        os.replace(tmp, p)
        return sha

    def get(self, sha256: str) -> bytes:
        p = self.path(sha256)
        try:
            data = p.read_bytes()
        except OSError:
            raise CaseError(DOCUMENT_NOT_FOUND, f"no stored content {sha256[:16]}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CaseError(DOCUMENT_CORRUPT, f"stored content {sha256[:16]} no longer has its SHA-256")
        return data
