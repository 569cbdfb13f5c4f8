"""Reconciliation against files with the usual human errors: an outcome per line, nothing lost."""
import json
import random
from datetime import date

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.errors import LedgerError
from ledger.reports.reconcile import parse_amount, parse_id, reconcile
from ledger.settlement import service
from ledger.settlement.costlines import Placement


@pytest.fixture
def statement(sqlite_env, tmp_path):
    e = sqlite_env
    ps = [Placement(f"p{i}", f"PSN-client-{i}", "GM0193", "GM0166", "15B02", date(2026, 1, 1 + i), date(2026, 3, 20))
          for i in range(4)]
    service.book_placements(e.store, e.signer_for, [e.based(p) for p in ps], until=date(2026, 3, 31))
    res = service.write_statements(e.store, "2026K1", tmp_path / "out", parties=["GM0166"])
    lines = json.loads(res.files[0].json.read_text(encoding="utf-8"))["lines"]
    return e, lines


def _nl(cents):
    s = f"{abs(cents) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("-" if cents < 0 else "") + "€ " + s


def test_messy_xlsx(statement, tmp_path):
    e, lines = statement
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Totaaloverzicht gemeente Kampen"])  # a title row before the header
    ws.append(["Bedrag", "Einddatum", "Begindatum", "Cliënt"])  # another order
    for i, ln in enumerate(lines):
        if i == 1:
            continue  # missing
        amount = _nl(ln["amount_cents"])
        if i == 2:
            amount = f"{ln['amount_cents'] / 100 - 10:,.2f}"  # English separators, 10 euro off
        if i == 5:
            amount = f"{-ln['amount_cents'] / 100:.2f}".replace(".", ",")  # this one row with the other sign
        if i == 3:
            amount = "zie bijlage"  # text in a number cell
        row = [amount, ln["period_to"], ln["period_from"], ln["client"]]
        ws.append(row)
        if i == 0:
            ws.append(row)  # duplicated
    ws.append(["1.234,56", "2026-03-31", "2026-03-01", "PSN-other-01"])
    ws.append([None, None, None, None])
    ws.append(["Totaal", "", "", "123"])
    p = tmp_path / "theirs.xlsx"
    wb.save(p)
    rec = reconcile(e.store, "2026K1", "GM0166", p)
    c = rec.counts()
    assert c["matched"] == len(lines) - 3 and c["amount_differs"] == 2 and c["only_ledger"] == 1
    assert c["only_theirs"] == 1 and c["duplicate"] == 1 and c["total_row"] == 1
    # nothing lost: every row of their file has an outcome, every ledger line is accounted for once
    their_rows = [o.their_row for o in rec.outcomes if o.their_row]
    assert len(their_rows) == len(set(their_rows)) == len(lines) + 2
    ledger_ids = sorted(i for o in rec.outcomes if o.ledger_cents is not None for i in o.entry_ids)
    assert ledger_ids == sorted(i for ln in lines for i in ln["entry_ids"])
    differs = [o for o in rec.outcomes if o.outcome == "amount_differs"]
    assert any("verschil" in o.reason and o.difference_cents == -1000 for o in differs)
    assert any("teken omgekeerd" in o.reason for o in rec.outcomes if o.outcome == "matched")
    assert any("onleesbaar" in o.reason for o in differs)


def test_messy_csv_with_ids_and_swapped_columns(statement, tmp_path):
    e, lines = statement
    rows = ["regel-id,bedrag,omschrijving"]
    for ln in lines:
        rows.append(f'{ln["entry_ids"][0]},"{-ln["amount_cents"] / 100:.2f}",BW')  # payables positive
    rows.append('99999,"12.50",onbekend')
    p = tmp_path / "theirs.csv"
    p.write_text("\n".join(rows) + "\n", encoding="cp1252")
    rec = reconcile(e.store, "2026K1", "GM0166", p)
    assert rec.counts()["matched"] == len(lines) and rec.counts()["only_theirs"] == 1
    assert any("tekens omgedraaid" in n for n in rec.notes)
    # no header at all, columns in any order: found on content
    rows = [f'{ln["client"]};{ln["period_from"]};{ln["period_to"]};{_nl(ln["amount_cents"])}' for ln in lines]
    p.write_text("\n".join(rows), encoding="utf-8")
    rec = reconcile(e.store, "2026K1", "GM0166", p)
    assert rec.counts()["matched"] == len(lines), rec.to_dict()


def test_unreadable_files_give_a_clear_error_or_an_outcome_per_row(statement, tmp_path):
    e, lines = statement
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LedgerError) as exc:
        reconcile(e.store, "2026K1", "GM0166", bad)
    assert exc.value.code == "RECONCILE_FILE_UNREADABLE"
    old = tmp_path / "oud.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 binary")
    with pytest.raises(LedgerError) as exc:
        reconcile(e.store, "2026K1", "GM0166", old)
    assert exc.value.code == "RECONCILE_FILE_UNREADABLE" and ".xlsx" in exc.value.message
    rnd = random.Random(3)
    for n in range(15):
        p = tmp_path / f"junk{n}.csv"
        cells = ["", "€", "1,2,3", "n.v.t.", "2026-13-45", "PSN-client-1", "-", "(", "12,-", "\x00", "€ -0,01", ";;"]
        p.write_bytes("\n".join(";".join(rnd.choice(cells) for _ in range(rnd.randrange(1, 6)))
                                for _ in range(rnd.randrange(0, 8))).encode("utf-8", "replace"))
        rec = reconcile(e.store, "2026K1", "GM0166", p)
        assert sum(1 for o in rec.outcomes if o.outcome == "only_ledger") + \
            sum(1 for o in rec.outcomes if o.ledger_cents is not None and o.outcome != "only_ledger") == len(lines)


@settings(max_examples=150)
@given(cents=st.integers(-10**10, 10**10), style=st.sampled_from(["nl", "en", "plain", "nl-noeuro", "paren"]))
def test_amounts_in_the_usual_notations(cents, style):
    a = abs(cents)
    nl = f"{a / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") if a < 10**15 else ""
    text = {"nl": f"€ {nl}", "en": f"{a / 100:,.2f}", "plain": f"{a // 100}.{a % 100:02d}", "nl-noeuro": nl,
            "paren": f"({nl})"}[style]
    if style == "paren":
        assert parse_amount(text) == -a
    else:
        assert parse_amount(("-" if cents < 0 else "") + text) == cents


def test_cli_settle_and_reconcile(statement, tmp_path, monkeypatch):
    from api.cli_settle import settle_app

    e, lines = statement
    monkeypatch.setenv("BWLEDGER_DATABASE_URL", e.store.url)
    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    r = runner.invoke(settle_app, ["settle", "--quarter", "2026K1", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0 and "GM0166" in r.output, r.output
    assert (tmp_path / "o" / "verrekening-2026K1" / "verrekening-2026K1-GM0166.xlsx").is_file()
    theirs = tmp_path / "o" / "verrekening-2026K1" / "verrekening-2026K1-GM0166.csv"
    r = runner.invoke(settle_app, ["reconcile", "--quarter", "2026K1", "--party", "GM0166", str(theirs),
                                   "--out", str(tmp_path / "o")])
    assert r.exit_code == 0 and f"akkoord: {len(lines)}" in r.output, r.output  # their own statement matches
    r = runner.invoke(settle_app, ["reconcile", "--quarter", "2026K1", "--party", "GM0166", str(tmp_path / "nope.csv")])
    assert r.exit_code == 2 and "niet gevonden" in r.output and r.exception is None or isinstance(r.exception, SystemExit)
    r = runner.invoke(settle_app, ["settle", "--quarter", "2026K9"])
    assert r.exit_code == 2 and "QUARTER_INVALID" in r.output and "geen geldig kwartaal" in r.output


def test_cli_settle_refuses_an_unknown_municipality(statement, tmp_path, monkeypatch):
    """`settle --party GM9999` wrote a statement for a municipality that does not exist (issue 14): the one
    party check (ledger.parties) refuses it, in Dutch with a stable code, and writes nothing."""
    from api.cli_settle import settle_app

    e, _lines = statement
    monkeypatch.setenv("BWLEDGER_DATABASE_URL", e.store.url)
    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    for party, code, words in (("GM9999", "PARTY_UNKNOWN", "onbekende gemeentecode GM9999"),
                               ("Kampen", "PARTY_UNKNOWN", "geen partij"),
                               ("RG:ijssel-vecht", "PARTY_ROLE_INVALID", "alleen per gemeente")):
        r = runner.invoke(settle_app, ["settle", "--quarter", "2026K1", "--party", party, "--out", str(tmp_path / "o")])
        assert r.exit_code == 2 and code in r.output and words in r.output, r.output
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*GM9999*"))
    r = runner.invoke(settle_app, ["reconcile", "--quarter", "2026K1", "--party", "GM9999", __file__])
    assert r.exit_code == 2 and "PARTY_UNKNOWN" in r.output
    r = runner.invoke(settle_app, ["whatif", "--quarter", "2026K1", "--reading", "2=GM9999", "--out", str(tmp_path / "w")])
    assert r.exit_code == 2 and "onbekende gemeentecode GM9999" in r.output, r.output
    r = runner.invoke(settle_app, ["settle", "--quarter", "2026K1", "--party", "GM0166", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0 and "Kampen" in r.output and "Kwartaal 2026-K1" in r.output, r.output


def test_cli_seal_whatif_monitor_project(statement, tmp_path, monkeypatch):
    from api.cli_settle import settle_app

    e, _lines = statement
    monkeypatch.setenv("BWLEDGER_DATABASE_URL", e.store.url)
    monkeypatch.setenv("BWLEDGER_HOME", str(tmp_path))  # keys in tmp_path/keys (the operator's)
    runner = CliRunner()
    r = runner.invoke(settle_app, ["seal", "--quarter", "2024K1"])
    assert r.exit_code == 0 and "verzegeld: 2024-K1" in r.output, r.output  # a quarter as a person reads it
    r = runner.invoke(settle_app, ["seal", "--quarter", "2024K1"])
    assert r.exit_code == 0 and "al verzegeld" in r.output
    r = runner.invoke(settle_app, ["whatif", "--quarter", "2026K1", "--key", "ijv-historisch-2023-2025=fixed",
                                   "--out", str(tmp_path / "w")])
    assert r.exit_code == 0 and (tmp_path / "w" / "wat-als-2026K1.xlsx").is_file(), r.output
    r = runner.invoke(settle_app, ["whatif", "--quarter", "2026K1", "--key", "nonsense"])
    assert r.exit_code == 2
    r = runner.invoke(settle_app, ["monitor", "--year", "2026", "--out", str(tmp_path / "m")])
    assert r.exit_code == 0 and (tmp_path / "m" / "monitoring-2026.json").is_file(), r.output
    r = runner.invoke(settle_app, ["project", "--region", "ijssel-vecht", "--historical", "1000000",
                                   "--objective", "900000", "--out", str(tmp_path / "p")])
    assert r.exit_code == 0 and "7 jaar" in r.output and "1.000.000,00" in r.output, r.output


def test_headers_over_the_wrong_columns(statement, tmp_path):
    """The header says Cliënt / Bedrag but the columns under them were swapped by hand."""
    e, lines = statement
    rows = ["Cliënt;Bedrag;Van;Tot"] + [f'{_nl(ln["amount_cents"])};{ln["client"]};{ln["period_from"]};{ln["period_to"]}'
                                         for ln in lines]
    p = tmp_path / "swapped.csv"
    p.write_text("\n".join(rows), encoding="utf-8-sig")
    rec = reconcile(e.store, "2026K1", "GM0166", p)
    assert rec.counts()["matched"] == len(lines), rec.to_dict()["lines"][:2]
    assert all("verwisseld" in o.reason for o in rec.outcomes if o.their_row)


@pytest.mark.parametrize("value", ["²", "١٢", "12a", "-3", ""])
def test_an_id_cell_that_is_no_ascii_number_is_no_id(value):
    """'²' passed str.isdigit and int() refused it: a file with such a cell broke the reconciliation."""
    assert parse_id(value) is None


def test_an_id_cell_of_digits_is_its_number():
    assert parse_id(" 17 ") == 17 and parse_id(17) == 17 and parse_id(17.0) == 17
