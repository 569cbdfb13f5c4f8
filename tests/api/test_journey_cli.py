"""The journey of every user of the ledger's integrity rules, on the command line, against a real
`bwledger serve` on SQLite and on PostgreSQL (a fresh schema; never skipped).

Kampen (GM0166), Zwolle (GM0193) and the committee make their own keys (`bwledger keys new`, in folders
of their own and with none of the server's settings); the operator registers them on the server's
machine (`bwledger keys register` with the server's BWLEDGER_HOME and database, so with the operator
key there). Each step is a real subprocess on the party's machine: an N1 and its acknowledgement (a
replay answers the original, a second one is refused), a determination and a cost line as JSON
statement files signed and submitted by `bwledger submit`; the dispute by `bwledger case ... --server
--key` (the server prepares the statements, the party's key signs them on its machine): Zwolle opens
it and objects (the N4 objection and the event in one batch), the steps to DECIDED with the right
signer for each (a skipped step and the wrong signer of the decision refused at draft time, exit 1
with the code), the two steps with prior attempts as statement files; then the operator books the
decision (`bwledger case book`, operator key only) and verifies the whole ledger (`bwledger ledger
verify`).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from api_helpers import PG_URL, ROOT, free_port, stop_process, wait_until_up
from party_auth import token_in_database
from real_determinations import Recorder

from api.format_nl import date_nl, date_table_nl
from ledger import service
from ledger.crypto import find_signers
from ledger.entries import OPERATOR


CLIENT = "PSN-journey-1"
KAMPEN, ZWOLLE, COMMITTEE = "GM0166", "GM0193", "COMMITTEE"
PARTICIPANTS = [KAMPEN, ZWOLLE, COMMITTEE]
TARIFF = 19500  # 15A01 on the IJssel-Vecht contract, 2026-01-01..2026-02-15 (ledger/data/tariffs.toml)
JANUARY = (date(2026, 1, 1), date(2026, 1, 31))
DECIDED_UNTIL = date(2026, 1, 20)  # the decision names Kampen for 1-20 January; the rest stays Zwolle's
SEQ = re.compile(r"^(al )?opgenomen als volgnummer (\d+)", re.MULTILINE)
CASE_LINE = re.compile(r"opgenomen als volgnummer (\d+) \((geschilstap \(N7\)|bezwaar \(N4\)), zaak (GS-\d{6})\)")
KIND_OF = {"geschilstap (N7)": "dispute_event", "bezwaar (N4)": "objection"}


def _clean_env() -> dict[str, str]:
    """The environment of a party's machine: none of the server's BWLEDGER_* settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BWLEDGER_")}


def _contract_tariff(product: str, day: date) -> int:
    doc = tomllib.loads((ROOT / "ledger" / "data" / "tariffs.toml").read_text(encoding="utf-8"))
    rows = [t for t in doc["tariff"] if t["contract"] == "ijv-bw-2025" and t["product"] == product
            and t["valid_from"] <= day <= t.get("valid_to", date.max)]
    assert len(rows) == 1, rows
    return rows[0]["cents_per_day"]


class Journey:
    """The server (a `bwledger serve` subprocess), the parties' folders, and the CLI as subprocesses."""

    def __init__(self, tmp: Path, url: str, schema: str | None):
        self.home = tmp / "server"
        self.home.mkdir(exist_ok=True)
        self.server_env = {**_clean_env(), "BWLEDGER_HOME": str(self.home), "BWLEDGER_DATABASE_URL": url,
                           "BWLEDGER_CHECKPOINT_SECONDS": "0.3",
                           # entries are counted one by one here; the audit anchors are tested in test_audit.py
                           "BWLEDGER_AUDIT_ANCHOR_SECONDS": "0", **({"BWLEDGER_DATABASE_SCHEMA": schema} if schema else {})}
        self.folders = {p: tmp / p.lower() for p in PARTICIPANTS}
        for folder in self.folders.values():
            folder.mkdir()
        self.keys = {p: self.folders[p] / f"{p.lower()}.pem" for p in PARTICIPANTS}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.home / "server.log", "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT, env=self.server_env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until_up(self)
        # each party's machine holds an API token of its own (`bwledger accounts token add` by the operator);
        # the test reads the ledger back as an auditor
        self.tokens = {p: token_in_database(url, p, schema=schema) for p in PARTICIPANTS}
        self.http = httpx.Client(base_url=self.url, timeout=10, headers={
            "Authorization": f"Bearer {token_in_database(url, 'OPERATOR', ('auditor',), schema)}"})
        self.files = 0
        self.reader = service.open_ledger(url, schema=schema)  # an auditor reading the database

    # ------------------------------------------------------------------------------ processes
    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> int:
        self.http.close()
        self.reader.dispose()
        code = stop_process(self.proc)
        self.log.close()
        return code

    def start(self, *args, party: str | None = None) -> subprocess.Popen:
        """`bwledger ARGS` on a party's machine (its folder, no server settings) or, without party, on the
        server's machine (the server's BWLEDGER_HOME and database)."""
        env, cwd = ((self.server_env, ROOT) if party is None else
                    ({**_clean_env(), "BWLEDGER_TOKEN": self.tokens[party]}, self.folders[party]))
        return subprocess.Popen([sys.executable, "-m", "api.cli", *map(str, args)], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def finish(proc: subprocess.Popen, code: int) -> tuple[str, str]:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == code, (proc.args, proc.returncode, out, err)
        assert "Traceback" not in out + err, (out, err)
        return out, err

    def run(self, *args, party: str | None = None, code: int = 0) -> tuple[str, str]:
        return self.finish(self.start(*args, party=party), code)

    # ---------------------------------------------------------------------------- the ledger
    def size(self) -> int:
        return self.http.get("/v1/gezondheid").json()["ledger"]["entries"]

    def entry(self, party: str, seq: int) -> dict:
        """Entry `seq` as the entries endpoint gives it to `party` (it authored it or is named in it)."""
        r = self.http.get("/v1/grootboek/regels", params={"party": party})
        assert r.status_code == 200, r.text
        found = [e for e in r.json()["entries"] if e["seq"] == seq]
        assert len(found) == 1, (party, seq, r.json())
        return found[0]

    def ref(self, party: str, seq: int) -> dict:
        return {"seq": seq, "entry_hash": self.entry(party, seq)["entryHash"]}

    def statement(self, party: str, kind: str, payload: dict) -> Path:
        """A statement file in the party's folder: what it decides; the CLI fills in the rest."""
        self.files += 1
        path = self.folders[party] / f"{self.files:02d}-{kind}.json"
        path.write_text(json.dumps({"kind": kind, "client": CLIENT, "payload": payload,
                                    "idempotency_key": f"journey-{party}-{self.files}"}), encoding="utf-8")
        return path

    def case(self, party: str, *args, refused: str | None = None) -> list[tuple[int, str, str]]:
        """`bwledger case ARGS --server URL --key KEY` on the party's machine: the server drafts, the party's
        key signs there. Returns (seq, kind, case id) per entry it printed; with `refused`, the code of the
        refusal it must print (exit 1, nothing stored)."""
        before = self.size()
        out, err = self.run("case", *args, "--server", self.url, "--key", self.keys[party], party=party,
                            code=1 if refused else 0)
        if refused:
            assert out == "" and err.startswith(f"geweigerd: {refused}: "), (out, err)
            assert self.size() == before, "a refused case write was stored"
            return []
        lines = out.splitlines()
        found = [CASE_LINE.fullmatch(line) for line in lines]
        assert lines and all(found), out
        got = [(int(m.group(1)), KIND_OF[m.group(2)], m.group(3)) for m in found]
        assert [seq for seq, _, _ in got] == list(range(before, before + len(got))), (before, out)
        for seq, kind, _ in got:
            e = self.entry(party, seq)
            assert (e["kind"], e["author"], e["client"]) == (kind, party, CLIENT), e
        return got

    def submit(self, *items: tuple[str, Path, int | str | None]) -> list[int]:
        """`bwledger submit` of statement files, all at once (each in its own process, as parties work at
        the same time). An item is (party, file, expected): None a new entry, an int a replay of that seq,
        a str the code of a refusal. Returns the seqs (-1 for a refusal); the ledger grew by exactly the
        new entries, at its end."""
        before = self.size()
        procs = [self.start("submit", "--server", self.url, "--key", self.keys[party], path, party=party)
                 for party, path, _ in items]
        seqs = []
        for (party, path, expected), proc in zip(items, procs):
            refused = isinstance(expected, str)
            out, err = self.finish(proc, 1 if refused else 0)
            if refused:
                assert out == "" and err.startswith(f"geweigerd: {expected}: "), (path.read_text(), out, err)
                seqs.append(-1)
                continue
            m = SEQ.search(out)
            assert m, out
            seq = int(m.group(2))
            if isinstance(expected, int):  # a replay: the stored entry answers
                assert out == f"al opgenomen als volgnummer {expected} (dezelfde inhoud was eerder ingediend)\n", out
            else:
                assert out == f"opgenomen als volgnummer {seq}\n", out
            statement = json.loads(path.read_text())
            e = self.entry(party, seq)
            assert (e["kind"], e["author"], e["client"], e["idempotencyKey"]) == (
                statement["kind"], party, CLIENT, statement["idempotency_key"]), e
            seqs.append(seq)
        new = sorted(s for (_, _, expected), s in zip(items, seqs) if expected is None)
        assert new == list(range(before, before + len(new))), (before, seqs)
        assert self.size() == before + len(new), "a refused or replayed statement was stored"
        return seqs


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """(url, schema): a SQLite file of the server's, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        (tmp_path / "server").mkdir()
        return f"sqlite:///{tmp_path / 'server' / 'bwledger.db'}", None
    return PG_URL, request.getfixturevalue("pg_schema")


def test_the_journey_of_every_user_on_the_cli(tmp_path, database):
    j = Journey(tmp_path, *database)
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    try:
        assert j.size() == 1  # the server initialised the empty schema: the operator's genesis entry
        operator_keys = find_signers(j.home / "keys", OPERATOR)
        assert len(operator_keys) == 1

        # 1. every party makes its own key on its own machine; the operator registers the public keys on
        # the server's machine (the three at once: each a process of its own writing to the same ledger)
        made = [j.start("keys", "new", "--party", p, "--out", j.keys[p], party=p) for p in PARTICIPANTS]
        key_ids = {}
        for p, proc in zip(PARTICIPANTS, made):
            out, _ = j.finish(proc, 0)
            assert out.startswith(f"Partij: {p}\nSleutel-id: ") and "niet versleuteld; blijft op deze machine" in out
            key_ids[p] = out.split("Sleutel-id: ")[1].split()[0]
            assert (j.keys[p].stat().st_mode & 0o777) == 0o600
            assert f"Laat de operator hem registreren: bwledger keys register --party {p} " in out, out
        registering = [j.start("keys", "register", "--party", p, "--public-key", f"{j.keys[p]}.pub")
                       for p in PARTICIPANTS]
        registered = set()
        for p, proc in zip(PARTICIPANTS, registering):
            out, _ = j.finish(proc, 0)
            m = re.match(rf"Sleutel van {p} geregistreerd: opgenomen als volgnummer (\d+)\n"
                         rf"Sleutel-id: {key_ids[p]}\nGeldig vanaf: \d{{1,2}} [a-z]+ \d{{4}} \d\d:\d\d:\d\d \(Nederlandse tijd\)\n$", out)
            assert m, out
            seq = int(m.group(1))
            registered.add(seq)
            row = j.reader.get_rows([seq])[seq]  # key entries are not among a party's entries: read the database
            assert (row.kind, row.author, json.loads(row.statement)["payload"]["key_id"]) == (
                "key_registration", OPERATOR, key_ids[p])
        assert registered == {1, 2, 3} and j.size() == 4

        # 2. Kampen's N1 to the host region and municipality; Zwolle acknowledges it once: the same
        # statement again answers the original, a second acknowledgement is refused
        [n1] = j.submit((KAMPEN, j.statement(KAMPEN, "placement_notice", {
            "placing_party": KAMPEN, "host_region": "RG:ijssel-vecht", "host_municipality": ZWOLLE,
            "cost_bearer": KAMPEN, "location": "Beschermd wonen De Vecht, Zwolle",
            "start_date": (today - timedelta(days=60)).isoformat(), "expected_duration_days": 365,
            "contract_used": "ijv-bw-2025", "legal_basis": "pseudoniem"}), None))
        notice = j.ref(KAMPEN, n1)
        ack_file = j.statement(ZWOLLE, "acknowledgement", {"notice": notice, "note": "ontvangen"})

        # 3. meanwhile Kampen determines that Zwolle is the cost bearer (N3), from before January 2026
        # (the engine's, on facts deposited where the server reads them: its admission replays it)
        real = Recorder.on_home(j.reader, j.home).payload(ZWOLLE, "det-journey-1", melding=date(2025, 12, 15),
                                                          client=CLIENT)
        det_file = j.statement(KAMPEN, "determination", real)
        ack, det = j.submit((ZWOLLE, ack_file, None), (KAMPEN, det_file, None))
        det_ref = j.ref(KAMPEN, det)

        # 4. the acknowledgement comes again (a replay) and a second time (refused); Zwolle, the addressee
        # and proposed cost bearer, opens the dispute with `bwledger case open` against the server
        j.submit((ZWOLLE, ack_file, ack),
                 (ZWOLLE, j.statement(ZWOLLE, "acknowledgement", {"notice": notice, "note": "nogmaals"}),
                  "ACKNOWLEDGEMENT_INVALID"))
        [(_, _, CASE)] = j.case(ZWOLLE, "open", det, "--as", ZWOLLE,
                                "--question", "Is Zwolle de kostendrager van deze cliënt?")
        assert CASE == f"GS-{det:06d}"

        def event(party: str, previous: str | None, target: str, **fields) -> tuple[str, Path]:
            """A dispute_event of the case as a statement file, signed by `party`: previous -> target."""
            return party, j.statement(party, "dispute_event", {
                "dispute_id": CASE, "determination": det_ref, "status": target, "previous_status": previous,
                "participants": PARTICIPANTS, "claiming": KAMPEN, "responding": ZWOLLE, **fields})

        # 5. the dispute, step by step, each signed by a party the workflow table allows: Zwolle objects
        # (the N4 objection and the event, one batch), Kampen asks for consultation
        reasons = "Kampen was de woonplaats vóór de plaatsing."
        objected = j.case(ZWOLLE, "transition", CASE, "OBJECTED", "--as", ZWOLLE, "--position", reasons)
        assert [(kind, case) for _, kind, case in objected] == [("objection", CASE), ("dispute_event", CASE)]
        assert j.entry(KAMPEN, objected[0][0])["payload"] == {"determination": det_ref, "reasons": reasons,
                                                              "evidence": []}
        j.case(KAMPEN, "transition", CASE, "CONSULTATION", "--as", KAMPEN)
        contact = {"kind": "contactpersonen", "held_on": (today - timedelta(days=20)).isoformat(),
                   "summary": "Overleg contactpersonen zonder overeenstemming.", "evidence": ["c" * 64]}
        regio = {"kind": "regioadviseur", "held_on": (today - timedelta(days=5)).isoformat(),
                 "summary": "Bemiddeling door de regioadviseur zonder resultaat.", "evidence": ["d" * 64]}

        # 6. Kampen tries to skip ESCALATED (refused when the server drafts it, the code printed, exit 1);
        # a hand-made statement skipping it is refused by the ledger the same way. Before the decision
        # Kampen books January on its determination at the contract tariff (a tariff of its own is refused)
        j.case(KAMPEN, "transition", CASE, "FILED", "--as", KAMPEN, refused="TRANSITION_NOT_ALLOWED")
        assert _contract_tariff("15A01", JANUARY[0]) == _contract_tariff("15A01", JANUARY[1]) == TARIFF
        days = (JANUARY[1] - JANUARY[0]).days + 1
        line = {"fronting_party": KAMPEN, "cost_bearer": ZWOLLE, "period_from": JANUARY[0].isoformat(),
                "period_to": JANUARY[1].isoformat(), "product": "15A01", "units": days, "tariff_cents": TARIFF,
                "amount_cents": days * TARIFF, "status": "provisional", "determination": det_ref,
                "location": "Beschermd wonen De Vecht, Zwolle"}
        own_tariff = {**line, "tariff_cents": TARIFF + 490, "amount_cents": days * (TARIFF + 490)}
        _, cost_line, _ = j.submit(
            (*event(KAMPEN, "CONSULTATION", "FILED", attempts=[contact, regio]), "TRANSITION_NOT_ALLOWED"),
            (KAMPEN, j.statement(KAMPEN, "cost_line", line), None),
            (KAMPEN, j.statement(KAMPEN, "cost_line", own_tariff), "TARIFF_INVALID"))
        assert j.entry(ZWOLLE, cost_line)["payload"]["amount_cents"] == 604_500  # Zwolle sees its payable

        j.submit((*event(KAMPEN, "CONSULTATION", "ESCALATED", attempts=[contact]), None))
        j.submit((*event(ZWOLLE, "ESCALATED", "FILED", attempts=[regio]), None))
        for target in ("ADMISSIBILITY", "EXCHANGE", "HEARING"):
            j.case(COMMITTEE, "transition", CASE, target, "--as", COMMITTEE)
        summary = "Kampen is kostendrager tot en met 20 januari 2026."
        period = f"{JANUARY[0].isoformat()}:{DECIDED_UNTIL.isoformat()}:{KAMPEN}"
        j.case(ZWOLLE, "decide", CASE, "--as", ZWOLLE, "--period", period, "--summary", summary,
               refused="ACTOR_NOT_ALLOWED")  # a party of the case is not the committee
        [(decided, _, _)] = j.case(COMMITTEE, "decide", CASE, "--period", period, "--summary", summary)
        decision = {"nature": "binding_advice", "decided_on": today.isoformat(), "summary": summary,
                    "cost_bearers": [{"period_from": JANUARY[0].isoformat(), "period_to": DECIDED_UNTIL.isoformat(),
                                      "cost_bearer": KAMPEN, "historical_budget": False}]}
        case = j.http.get(f"/v1/geschillen/{CASE}").json()
        from api.http.camel import camel  # the API's answer: the decision's member names in camelCase

        assert case["status"] == "DECIDED" and case["decision"] == camel(decision), case
        assert [(e["author"], e["previousStatus"], e["status"]) for e in case["events"]] == [
            (ZWOLLE, None, "DETERMINED"), (ZWOLLE, "DETERMINED", "OBJECTED"), (KAMPEN, "OBJECTED", "CONSULTATION"),
            (KAMPEN, "CONSULTATION", "ESCALATED"), (ZWOLLE, "ESCALATED", "FILED"),
            (COMMITTEE, "FILED", "ADMISSIBILITY"), (COMMITTEE, "ADMISSIBILITY", "EXCHANGE"),
            (COMMITTEE, "EXCHANGE", "HEARING"), (COMMITTEE, "HEARING", "DECIDED")]

        # 7. the operator books the decision on the server's machine, with the operator key only
        before = j.size()
        out, _ = j.run("case", "book", CASE)
        assert out.startswith(f"3 regels geboekt\n{CASE}: uitgevoerd (geboekt) sinds {date_nl(today)}; "
                              "Kampen tegen Zwolle; "), out
        assert j.size() == before + 4  # a reversal, two new lines, the IMPLEMENTED event
        for p in PARTICIPANTS:  # no party key was made or used on the server
            assert find_signers(j.home / "keys", p) == [], p
        assert find_signers(j.home / "keys", OPERATOR) == operator_keys
        booked = [j.entry(KAMPEN, s) for s in range(before, before + 4)]
        assert [(e["kind"], e["author"]) for e in booked] == [("reversal", OPERATOR), ("cost_line", OPERATOR),
                                                               ("cost_line", OPERATOR), ("dispute_event", OPERATOR)]
        decision_ref = j.ref(KAMPEN, decided)
        assert booked[0]["payload"]["reverses"] == j.ref(KAMPEN, cost_line)
        assert booked[0]["payload"]["decision"] == decision_ref
        first = (DECIDED_UNTIL - JANUARY[0]).days + 1
        lines = sorted((e["payload"]["period_from"], e["payload"]["period_to"], e["payload"]["fronting_party"],
                        e["payload"]["cost_bearer"], e["payload"]["units"], e["payload"]["amount_cents"],
                        e["payload"]["decision"], e["client"]) for e in booked[1:3])
        assert lines == [  # Kampen pays its own 20 days (the decision), Zwolle still the other 11 (the N3)
            ("2026-01-01", "2026-01-20", KAMPEN, KAMPEN, first, first * TARIFF, decision_ref, CLIENT),
            ("2026-01-21", "2026-01-31", KAMPEN, ZWOLLE, days - first, (days - first) * TARIFF, decision_ref, CLIENT)]
        implemented = booked[3]["payload"]
        assert (implemented["previous_status"], implemented["status"]) == ("DECIDED", "IMPLEMENTED")
        assert implemented["bookings"] == [j.ref(KAMPEN, s) for s in range(before, before + 3)]

        # 8. the case as the operator's CLI and the API show it, and the whole ledger verified (every rule
        # replayed over every entry) by `bwledger ledger verify` on the server's machine
        size = j.size()
        show, verify = j.start("case", "show", CASE), j.start("ledger", "verify")
        out, _ = j.finish(show, 0)
        assert out.startswith(f"{CASE}: uitgevoerd (geboekt) sinds {date_nl(today)}"), out
        assert (f"regel {before + 3}  {date_table_nl(today)}  {'beheerder van het grootboek':<24} "
                "uitspraak gedaan → uitgevoerd (geboekt)") in out, out
        assert len(re.findall(r"^  regel \d+ ", out, re.MULTILINE)) == 10, out
        assert j.http.get(f"/v1/geschillen/{CASE}").json()["status"] == "IMPLEMENTED"
        report = j.http.get("/v1/grootboek/controle").json()
        assert report["ok"] is True and report["entries"] == size and report["problems"] == [], report
        out, err = j.finish(verify, 0)
        # the server's machine holds the key-encryption key: the determination is replayed, nothing "niet uitgevoerd"
        assert re.fullmatch(rf"{size} regels, \d+ controlepunten, 0 problemen \([\d.]+ s, \d+ proces\(sen\)\)\n",
                            out), (out, err)
    finally:
        rc = j.stop()
    log = j.home.joinpath("server.log").read_text(encoding="utf-8", errors="replace")
    assert rc == 0 and "Traceback" not in log, log
    for p in PARTICIPANTS:  # a party's machine holds its key and its statement files, nothing of the ledger
        assert {".pem", ".pub"} <= {f.suffix for f in j.folders[p].iterdir()} <= {".pem", ".pub", ".json"}, \
            list(j.folders[p].iterdir())
