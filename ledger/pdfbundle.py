"""Read a bundle embedded in a PDF (a PDF/A-3 associated file named *bundle*.json), so that
`bwledger ledger verify-bundle DOSSIER.pdf` verifies the evidence a case file carries."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import BUNDLE_MALFORMED, Problem

BUNDLE_SUFFIX = "bundle.json"


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


def verify_pdf_bundle(path: Path, *, trusted_operator_keys=()):
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
    return verify_bundle(doc, trusted_operator_keys=trusted_operator_keys)
