"""Reports for finance staff: statements (XLSX, CSV, JSON), reconciliation, charts, monitoring and
budget projections. Labels the staff read are Dutch."""
from __future__ import annotations

import json
from pathlib import Path


def write_json(path: Path, doc: dict) -> Path:
    """A report's JSON file: sorted keys, one-space indent, UTF-8, a final newline (byte-stable)."""
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
