"""`bwledger accept-tariff / book-accepted-tariff --server`: the cost bearer accepts a deviating
tariff and the fronting party books the line definitive, each with its own key (a key file, or an HSM
through `--sign-command`: tests/sign_with_keyfile.py in a real subprocess) against a real `bwledger
serve`, on SQLite and PostgreSQL; nothing of the server's files is read. The server prepares each
statement (POST /v1/verrekeningen/concepten); the CLI signs only what it asked for."""
from __future__ import annotations

import base64
import json
import shlex
import sys
from datetime import UTC, date, datetime

import httpx
import pytest
from api.http.camel import camel
from api_helpers import ROOT, Server, scripted_server
from party_auth import token_in_database, with_token
from real_determinations import Recorder
from typer.testing import CliRunner

from api.cli import app
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR, make_statement
from ledger.keyfile import read_key_file
from ledger.store import entries as entries_table

SCRIPT = ROOT / "tests" / "sign_with_keyfile.py"
KAMPEN, ZWOLLE = "GM0166", "GM0193"  # the fronting party and the cost bearer
CLIENT = "PSN-TARIEF-CLI"
DEVIATING = 20_000  # cents per day; the IJssel-Vecht contract says 19,500
MONTHS = (("2026-01-01", "2026-01-31", 31), ("2026-02-01", "2026-02-28", 28))
runner = CliRunner()


def KAMPEN_AUTH() -> dict:  # noqa: N802 - reads as the header it is
    return {"Authorization": f"Bearer {TOKENS[KAMPEN]}"}


#: the API tokens of the parties of the running server (made by `live`); `cli` passes the acting party's
TOKENS: dict[str, str] = {}


def cli(*args):
    result = runner.invoke(app, with_token([str(a) for a in args], TOKENS))
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def live(tmp_path, backend):
    """A `bwledger serve` on an initialised ledger of each backend; its parties' keys made with `bwledger
    keys new` in folders of their own and registered by the operator over HTTP."""
    url, schema = backend
    home = tmp_path / "server"
    home.mkdir()
    service.init_ledger(url, home / "keys", schema=schema).dispose()
    server = Server(home, checkpoint_seconds=0.3, database_url=url, schema=schema)
    TOKENS.clear()
    TOKENS.update({p: token_in_database(url, p, schema=schema) for p in (OPERATOR, KAMPEN, ZWOLLE)})
    operator_key = find_signers(home / "keys", OPERATOR)[0]
    keys = {}
    for party in (KAMPEN, ZWOLLE):
        path = tmp_path / party.lower() / "sleutel.pem"
        path.parent.mkdir()
        assert cli("keys", "new", "--party", party, "--out", path).exit_code == 0
        r = cli("keys", "register", "--server", server.url, "--key", operator_key, "--party", party,
                "--public-key", f"{path}.pub")
        assert r.exit_code == 0, r.output
        keys[party] = path
    yield {"url": server.url, "db": url, "schema": schema, "home": home, "keys": keys}
    server.stop_and_verify(url, schema)


def _deviating_lines(live) -> list[int]:
    """Kampen's determination naming Zwolle and, on it, two provisional cost lines with a deviating
    tariff (January and February 2026), recorded with Kampen's key; their seqs."""
    store = service.open_ledger(live["db"], schema=live["schema"])
    try:
        kampen = read_key_file(live["keys"][KAMPEN], None, party=KAMPEN)
        det = Recorder.on_home(store, live["home"]).record(kampen, ZWOLLE, "det-tarief", melding=date(2026, 1, 1),
                                                          idempotency_key="det-tarief", client=CLIENT)
        seqs = []
        for start, end, days in MONTHS:
            line = {"fronting_party": KAMPEN, "cost_bearer": ZWOLLE, "period_from": start, "period_to": end,
                    "product": "15A01", "units": days, "tariff_cents": DEVIATING, "amount_cents": days * DEVIATING,
                    "status": "provisional", "historical_budget": False, "tariff_deviation": True,
                    "determination": {"seq": det.seq, "entry_hash": det.entry_hash.hex()}}
            seqs.append(service.record(store, kampen, "cost_line", line, idempotency_key=f"line-{start}",
                                       client=CLIENT).seq)
        return seqs
    finally:
        store.dispose()


def _payload(live, seq: int) -> tuple[str, str, dict]:
    """(kind, author, payload) of entry `seq`, read from the server's database as an auditor would."""
    store = service.open_ledger(live["db"], schema=live["schema"])
    try:
        row = store.get_rows([seq])[seq]
        return row.kind, row.author, json.loads(row.statement)["payload"]
    finally:
        store.dispose()


def _size(live) -> int:
    return httpx.get(f"{live['url']}/v1/gezondheid").json()["ledger"]["entries"]


def test_the_parties_accept_and_book_a_deviating_tariff_over_http(live):
    january, february = _deviating_lines(live)
    server = ["--server", live["url"]]
    zwolle = ["--key", live["keys"][ZWOLLE]]
    kampen_key = live["keys"][KAMPEN]
    hsm = ["--sign-command", shlex.join([sys.executable, str(SCRIPT), str(kampen_key)]),
           "--public-key", f"{kampen_key}.pub"]

    # Zwolle, the cost bearer, accepts both tariffs with its key file; a second time answers the first
    accepted = []
    for line in (january, february):
        r = cli("accept-tariff", line, "--as", ZWOLLE, "--note", "akkoord met het tarief", *server, *zwolle)
        assert r.exit_code == 0, r.output
        assert r.output.startswith("tarief aanvaard: regel ") and "al vastgelegd" not in r.output, r.output
        accepted.append(int(r.output.split()[3]))
    r = cli("accept-tariff", january, "--as", ZWOLLE, "--note", "akkoord met het tarief", *server, *zwolle)
    assert r.exit_code == 0 and r.output == f"tarief aanvaard: regel {accepted[0]} (al vastgelegd)\n", r.output
    kind, author, p = _payload(live, accepted[0])
    assert (kind, author, p["cost_line"]["seq"], p["note"]) == ("tariff_acceptance", ZWOLLE, january,
                                                                 "akkoord met het tarief")

    # Kampen books January with its HSM: the reversal, then the definitive line naming it, in one command
    before = _size(live)
    r = cli("book-accepted-tariff", accepted[0], "--as", KAMPEN, *server, *hsm)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("tegenboeking: opgenomen als volgnummer "), r.output
    assert lines[1].startswith("definitieve kostenregel: opgenomen als volgnummer "), r.output
    rev, new = int(lines[0].rsplit(" ", 1)[1]), int(lines[1].rsplit(" ", 1)[1])
    assert lines[2:] == [f"tegenboeking regel {rev}, definitieve kostenregel regel {new}"]
    assert (rev, new) == (before, before + 1) and _size(live) == before + 2
    kind, author, p = _payload(live, rev)
    assert (kind, author, p["reverses"]["seq"]) == ("reversal", KAMPEN, january)
    kind, author, p = _payload(live, new)
    assert (kind, author, p["status"], p["tariff_acceptance"]["seq"], p["replaces"]["seq"], p["units"]) == (
        "cost_line", KAMPEN, "definitive", accepted[0], rev, 31)
    # run again: nothing left to prepare, the same entries are named, nothing is stored
    r = cli("book-accepted-tariff", accepted[0], "--as", KAMPEN, *server, *hsm)
    assert r.exit_code == 0 and r.output == f"tegenboeking regel {rev}, definitieve kostenregel regel {new}\n"
    assert _size(live) == before + 2

    # February is resumed: its reversal was drafted, signed and submitted by hand before (the first step
    # only); the command then books only the definitive line that names that reversal
    kampen = read_key_file(kampen_key, None, party=KAMPEN)
    ask = {"action": "book_accepted_tariff", "party": KAMPEN, "key_id": kampen.key_id, "acceptance_seq": accepted[1]}
    draft = httpx.post(f"{live['url']}/v1/verrekeningen/concepten", json=ask, headers=KAMPEN_AUTH()).json()
    assert [s["kind"] for s in draft["statements"]] == ["reversal"] and draft["lineSeq"] == february
    raw = base64.b64decode(draft["statements"][0]["statement"])
    first = httpx.post(f"{live['url']}/v1/grootboek/regels", headers=KAMPEN_AUTH(), json={
        "statement": base64.b64encode(raw).decode(), "signature": base64.b64encode(kampen.sign(raw)).decode()})
    assert first.status_code == 201, first.text
    r = cli("book-accepted-tariff", accepted[1], "--as", KAMPEN, *server, "--key", kampen_key)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("definitieve kostenregel: opgenomen als volgnummer "), r.output
    new_feb = int(lines[0].rsplit(" ", 1)[1])
    assert lines[1] == f"tegenboeking regel {first.json()['seq']}, definitieve kostenregel regel {new_feb}"
    kind, _, p = _payload(live, new_feb)
    assert (kind, p["replaces"], p["units"]) == (
        "cost_line", {"seq": first.json()["seq"], "entry_hash": first.json()["entryHash"]}, 28)
    done = httpx.post(f"{live['url']}/v1/verrekeningen/concepten", json=ask, headers=KAMPEN_AUTH()).json()
    assert done["statements"] == [] and done["admitted"]["definitive"]["seq"] == new_feb


def test_a_refusal_by_the_server_exits_1_with_its_code(live):
    """Refused when drafted (no cost line there, an acceptance not there) and when submitted (the
    fronting party may not accept a tariff it charges): exit 1 with the code, nothing stored."""
    january, _ = _deviating_lines(live)
    server, kampen = ["--server", live["url"]], ["--key", live["keys"][KAMPEN]]
    before = _size(live)
    r = cli("accept-tariff", january, "--as", KAMPEN, *server, *kampen)
    assert r.exit_code == 1 and r.output.startswith("geweigerd: NOT_ENTITLED: "), r.output
    r = cli("accept-tariff", 1, "--as", ZWOLLE, *server, "--key", live["keys"][ZWOLLE])
    assert r.exit_code == 1 and r.output.startswith("geweigerd: TARIFF_ACCEPTANCE_INVALID: "), r.output
    r = cli("book-accepted-tariff", january, "--as", KAMPEN, *server, *kampen)  # a line, not an acceptance
    assert r.exit_code == 1 and r.output.startswith("geweigerd: TARIFF_ACCEPTANCE_INVALID: "), r.output
    # a key file of another party than --as is caught on this machine (exit 2), before the server is asked
    r = cli("accept-tariff", january, "--as", ZWOLLE, *server, *kampen)
    assert r.exit_code == 2, r.output
    assert _size(live) == before
    # the draft endpoint's own refusals are problems with a code
    bad = httpx.post(f"{live['url']}/v1/verrekeningen/concepten", json={"action": "pay_everything", "party": KAMPEN},
                     headers=KAMPEN_AUTH())
    assert bad.status_code == 400 and bad.json()["code"] == "REQUEST_INVALID", bad.text


def _statement(key, kind: str, payload: dict, idempotency_key: str, author: str | None = None) -> dict:
    raw = make_statement(kind=kind, author=author or key.party, key_id=key.key_id, payload=payload,
                         idempotency_key=idempotency_key, authored_at=datetime.now(UTC), client=CLIENT)
    return {"kind": kind, "idempotency_key": idempotency_key, "statement": base64.b64encode(raw).decode()}


def _answer(statements: list[dict], line_seq: int = 7, admitted: dict | None = None) -> bytes:
    return json.dumps(camel({"action": "x", "line_seq": line_seq, "statements": statements,
                       "admitted": admitted or {"reversal": None, "definitive": None}})).encode()


def test_the_cli_signs_only_what_it_asked_for(tmp_path):
    """A server that prepares another acceptance, another reversal or a definitive line that does not
    replace the admitted reversal gets no signature and no submission (exit 2)."""
    paths = {}
    for party in (KAMPEN, ZWOLLE):
        paths[party] = tmp_path / f"{party.lower()}.pem"
        assert cli("keys", "new", "--party", party, "--out", paths[party]).exit_code == 0
    zwolle, kampen = (read_key_file(paths[p], None, party=p) for p in (ZWOLLE, KAMPEN))
    ref = {"seq": 7, "entry_hash": "ab" * 32}
    terms = {"period_from": "2026-01-01", "period_to": "2026-01-31", "product": "15A01", "units": 31,
             "tariff_cents": DEVIATING}
    acceptance = {"cost_line": ref, **terms, "note": ""}
    reversal = {"reverses": ref, "reason": "tarief aanvaard door GM0193", "booking_quarter": "2026K4",
                "corrects_period": "correctie op 2026K1"}
    rev_ref = {"seq": 9, "entry_hash": "cd" * 32}
    definitive = {"fronting_party": KAMPEN, "cost_bearer": ZWOLLE, **terms, "amount_cents": 31 * DEVIATING,
                  "status": "definitive", "tariff_acceptance": {"seq": 8, "entry_hash": "ef" * 32},
                  "replaces": rev_ref}
    admitted = {"reversal": rev_ref, "definitive": None}
    accept = ["accept-tariff", 7, "--as", ZWOLLE, "--key", paths[ZWOLLE]]
    book = ["book-accepted-tariff", 8, "--as", KAMPEN, "--key", paths[KAMPEN]]
    cases = [  # (command, the server's answer)
        (accept, _answer([_statement(zwolle, "tariff_acceptance", {**acceptance, "cost_line": {**ref, "seq": 6}},
                                     "tariff-accept:6")], line_seq=6)),  # another line
        (accept, _answer([_statement(zwolle, "tariff_acceptance", acceptance, "tariff-accept:7", author=KAMPEN)])),
        (accept, _answer([_statement(zwolle, "cost_line", definitive, "tariff-accept:7")])),  # another kind
        (book, _answer([_statement(kampen, "reversal", {**reversal, "reverses": {**ref, "seq": 5}}, "rev-5")])),
        (book, _answer([_statement(kampen, "cost_line", {**definitive, "replaces": {"seq": 3, "entry_hash": "00" * 32}},
                                   "tariff:8")], admitted=admitted)),  # not the admitted reversal
        (book, _answer([_statement(kampen, "cost_line", {**definitive, "status": "provisional"}, "tariff:8")],
                       admitted=admitted)),
        (book, _answer([_statement(kampen, "reversal", reversal, "rev-7"),
                        _statement(kampen, "cost_line", definitive, "tariff:8")])),  # two at once
    ]

    def answer(path: str, n: int):
        return 200, "application/json", cases[n - 1][1] if path == "/v1/verrekeningen/concepten" else b"{}"

    with scripted_server(answer) as (url, seen):
        for command, _ in cases:
            r = cli(*command, "--server", url)
            assert r.exit_code == 2 and "de server bereidde iets anders voor dan gevraagd" in r.output, r.output
            assert "er is niets ondertekend" in r.output
    assert [s["path"] for s in seen] == ["/v1/verrekeningen/concepten"] * len(cases)  # nothing was submitted
    assert json.loads(seen[0]["body"]) == {"action": "accept_tariff", "party": ZWOLLE, "key_id": zwolle.key_id,
                                           "line_seq": 7, "arguments": {"note": ""}}


def test_a_server_naming_another_reversal_than_the_one_submitted_gets_nothing_more_signed(tmp_path):
    """A server whose reversal the CLI submitted but that then names another reversal as admitted is
    caught before the definitive line is signed (exit 2)."""
    path = tmp_path / "kampen.pem"
    assert cli("keys", "new", "--party", KAMPEN, "--out", path).exit_code == 0
    kampen = read_key_file(path, None, party=KAMPEN)
    reversal = {"reverses": {"seq": 7, "entry_hash": "ab" * 32}, "reason": "tarief aanvaard door GM0193",
                "booking_quarter": "2026K4", "corrects_period": "correctie op 2026K1"}
    replies = [_answer([_statement(kampen, "reversal", reversal, "rev-7")]),
               json.dumps(camel({"results": [{"seq": 9, "entry_hash": "cd" * 32, "received_at": "x"}]})).encode(),
               _answer([], admitted={"reversal": {"seq": 4, "entry_hash": "00" * 32}, "definitive": None})]

    def answer(path: str, n: int):
        return 200, "application/json", replies[n - 1]

    with scripted_server(answer) as (url, seen):
        r = cli("book-accepted-tariff", 8, "--as", KAMPEN, "--key", path, "--server", url)
    assert r.exit_code == 2 and "de server noemt tegenboeking 4, ingediend is regel 9" in r.output, r.output
    assert [s["path"] for s in seen] == ["/v1/verrekeningen/concepten", "/v1/grootboek/regels", "/v1/verrekeningen/concepten"]


def test_an_unreachable_server_exits_2(tmp_path):
    path = tmp_path / "zwolle.pem"
    assert cli("keys", "new", "--party", ZWOLLE, "--out", path).exit_code == 0
    r = cli("accept-tariff", 7, "--as", ZWOLLE, "--key", path, "--server", "http://127.0.0.1:9")
    assert r.exit_code == 2 and "niet bereikbaar" in r.output, r.output


def test_without_server_the_commands_still_sign_with_the_own_key_on_the_local_ledger(tmp_path, monkeypatch):
    """The local path (BWLEDGER_HOME) runs the same draft functions: accept, then book in two steps."""
    home = tmp_path / "home"
    monkeypatch.setenv("BWLEDGER_HOME", str(home))
    monkeypatch.delenv("BWLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("BWLEDGER_DATABASE_SCHEMA", raising=False)
    url = f"sqlite:///{home / 'bwledger.db'}"
    home.mkdir()
    store = service.init_ledger(url, home / "keys")
    keys = {}
    for party in (KAMPEN, ZWOLLE):
        keys[party] = tmp_path / f"{party.lower()}.pem"
        assert cli("keys", "new", "--party", party, "--out", keys[party]).exit_code == 0
        service.register_key(store, read_key_file(keys[party], None, party=party))
    store.dispose()
    january, _ = _deviating_lines({"db": url, "schema": None, "keys": keys, "home": home})
    r = cli("accept-tariff", january, "--as", ZWOLLE, "--key", keys[ZWOLLE])
    assert r.exit_code == 0 and r.output.startswith("tarief aanvaard: regel "), r.output
    acc = int(r.output.split()[3])
    r = cli("book-accepted-tariff", acc, "--as", KAMPEN, "--key", keys[KAMPEN])
    assert r.exit_code == 0, r.output
    rev, new = (int(w) for w in r.output.replace(",", "").split() if w.isdigit())
    store = service.open_ledger(url)
    try:
        rows = store.get_rows([rev, new])
        assert (rows[rev].kind, rows[new].kind) == ("reversal", "cost_line")
        assert json.loads(rows[new].statement)["payload"]["replaces"]["seq"] == rev
        assert len(store.rows_where(entries_table.c.kind == "reversal")) == 1
    finally:
        store.dispose()
