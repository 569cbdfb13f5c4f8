"""Read a bundle embedded in a PDF (a PDF/A-3 associated file named *bundle*.json), so that
`bwledger ledger verify-bundle DOSSIER.pdf` verifies the evidence a case file carries."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import BUNDLE_MALFORMED, Problem

BUNDLE_SUFFIX = "bundle.json"
EMBEDDED_FILE_UNLISTED = "EMBEDDED_FILE_UNLISTED"  # an embedded file whose hash the bundle does not list
EMBEDDED_FILE_UNSIGNED = "EMBEDDED_FILE_UNSIGNED"  # listed as signed, but named in no signed statement


def is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return False


def embedded_files(path: Path) -> dict[str, bytes]:
    """Every embedded file of the PDF: name -> content (the first, if a name repeats)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return {name: contents[0] for name, contents in reader.attachments.items() if contents}


def verify_pdf_bundle(path: Path, *, trusted_operator_keys=(), witness_vkeys=(), quorum=None):
    """Verify the bundle embedded in a PDF; a BundleReport (BUNDLE_MALFORMED when there is none)."""
    from .bundle import BundleReport, verify_bundle

    try:
        files = embedded_files(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure: not a readable PDF
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, f"cannot read PDF: {exc}")])
    names = [n for n in files if n.endswith(BUNDLE_SUFFIX)]
    if len(names) != 1:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED,
                                              f"the PDF embeds {len(names)} bundle files (*{BUNDLE_SUFFIX})")])
    try:
        doc = json.loads(files[names[0]].decode("utf-8"))
    except ValueError as exc:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, f"embedded bundle is not JSON: {exc}")])
    except RecursionError:
        return BundleReport(problems=[Problem(None, BUNDLE_MALFORMED, "embedded bundle: de JSON is te diep genest")])
    report = verify_bundle(doc, trusted_operator_keys=trusted_operator_keys, witness_vkeys=witness_vkeys,
                           quorum=quorum)
    report.problems.extend(_embedded_file_problems(doc, {n: b for n, b in files.items() if n != names[0]}))
    return report


def _embedded_file_problems(doc: dict, others: dict[str, bytes]) -> list[Problem]:
    """Every other embedded file must have a SHA-256 that the bundle lists under "documents"; one listed
    as signed (signed_in_seq) must be named by a signed statement of the bundle (so an exhibit in the PDF
    is the one a party submitted)."""
    import base64
    import hashlib

    listed = {d.get("sha256"): d for d in doc.get("documents", ()) if isinstance(d, dict)}
    signed = b"\n".join(base64.b64decode(e.get("statement", "")) for e in doc.get("entries", ())
                         if isinstance(e, dict) and e.get("role") != "key")
    out = []
    for name, data in sorted(others.items()):
        sha = hashlib.sha256(data).hexdigest()
        if sha not in listed:
            out.append(Problem(None, EMBEDDED_FILE_UNLISTED, f"embedded file {name}: SHA-256 {sha[:16]} is not listed"))
        elif listed[sha].get("signed_in_seq") is not None and sha.encode() not in signed:
            out.append(Problem(None, EMBEDDED_FILE_UNSIGNED,
                               f"embedded file {name}: SHA-256 {sha[:16]} is in no signed statement of the bundle"))
    return out
