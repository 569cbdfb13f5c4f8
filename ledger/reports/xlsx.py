"""A small streaming XLSX writer with byte-identical output.

Why not openpyxl: its write-only mode embeds the current time (docProps and zip entries) and is
slower; this writer streams each sheet straight into the zip, with every timestamp fixed
(zip entries 1980-01-01 00:00:00, docProps created 2000-01-01T00:00:00Z), so the same cells always
give the same bytes. Money cells are numbers with format `#,##0.00` (Excel shows 1.234,56 in a Dutch
locale); dates are serial numbers with format `dd-mm-yyyy` (as a person reads a date in a table).
"""
from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path
from typing import IO, Any

_FIXED = (1980, 1, 1, 0, 0, 0)
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_EPOCH = date(1899, 12, 30).toordinal()


class Money(int):
    """Cents, written as euros with the money format."""

    __slots__ = ()


class Bold(str):
    """A string written in bold (headers)."""

    __slots__ = ()


def _esc(s: str) -> str:
    s = _BAD.sub("", s)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def _col(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


_COLS = [_col(i) for i in range(64)]


def euros(cents: int) -> str:
    """Exact decimal text of cents: -123456 -> '-1234.56'."""
    sign = "-" if cents < 0 else ""
    a = -cents if cents < 0 else cents
    return f"{sign}{a // 100}.{a % 100:02d}"


STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="dd-mm-yyyy"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


class Sheet:
    def __init__(self, fh: IO[bytes], widths: list[int] | None) -> None:
        self._fh = fh
        self._n = 0
        self._buf: list[str] = []
        head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
                'openxmlformats.org/spreadsheetml/2006/main">')
        if widths:
            head += "<cols>" + "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
                                       for i, w in enumerate(widths)) + "</cols>"
        self._buf.append(head + "<sheetData>")

    def row(self, values: list[Any]) -> None:
        self._n += 1
        n = self._n
        cells = []
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            ref = f"{_COLS[i]}{n}"
            t = type(v)
            if t is str:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(v)}</t></is></c>')
            elif t is Money:
                cells.append(f'<c r="{ref}" s="1"><v>{euros(v)}</v></c>')
            elif t is int:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif t is Bold:
                cells.append(f'<c r="{ref}" s="3" t="inlineStr"><is><t xml:space="preserve">{_esc(v)}</t></is></c>')
            elif t is date:
                cells.append(f'<c r="{ref}" s="2"><v>{v.toordinal() - _EPOCH}</v></c>')
            elif t is float:
                cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
            elif t is bool:
                cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(str(v))}</t></is></c>')
        self._buf.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(self._buf) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self._fh.write("".join(self._buf).encode("utf-8"))
            self._buf = []

    def close(self) -> None:
        self._buf.append("</sheetData></worksheet>")
        self.flush()
        self._fh.close()


class Workbook:
    """`with Workbook(path) as wb: ws = wb.sheet("Samenvatting"); ws.row([...]); ...` (one sheet at a time)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._open: Sheet | None = None

    def _entry(self, name: str) -> IO[bytes]:
        info = zipfile.ZipInfo(name, _FIXED)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return self._zip.open(info, "w", force_zip64=True)

    def _write(self, name: str, text: str) -> None:
        with self._entry(name) as fh:
            fh.write(text.encode("utf-8"))

    def sheet(self, title: str, widths: list[int] | None = None) -> Sheet:
        if self._open is not None:
            self._open.close()
        title = _SHEET_BAD.sub("_", title)[:31] or "Blad"
        base, k = title, 2
        while title.lower() in (n.lower() for n in self._names):
            suffix = f" ({k})"
            title = base[:31 - len(suffix)] + suffix
            k += 1
        self._names.append(title)
        self._open = Sheet(self._entry(f"xl/worksheets/sheet{len(self._names)}.xml"), widths)
        return self._open

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._names:
            self.sheet("Blad1")
            self._open.close()  # type: ignore[union-attr]
        n = len(self._names)
        self._write("[Content_Types].xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
                    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
                    'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+'
                    'xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
                    'package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                    + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
                              f'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
                    + "</Types>")
        self._write("_rels/.rels",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                    'metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://'
                    'schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
                    'Target="docProps/app.xml"/></Relationships>')
        self._write("docProps/core.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://'
                    'schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/'
                    'elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
                    'XMLSchema-instance"><dc:creator>bwledger</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">'
                    '2000-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T'
                    '00:00:00Z</dcterms:modified></cp:coreProperties>')
        self._write("docProps/app.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/extended-properties"><Application>bwledger</Application>'
                    '</Properties>')
        self._write("xl/workbook.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.'
                    'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets>'
                    + "".join(f'<sheet name="{_esc(t).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
                              for i, t in enumerate(self._names, 1))
                    + "</sheets></workbook>")
        self._write("xl/_rels/workbook.xml.rels",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/relationships">'
                    + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                              f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
                    + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/styles" Target="styles.xml"/></Relationships>')
        self._write("xl/styles.xml", STYLES)
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
