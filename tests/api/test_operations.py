"""Running it for real (issue 15): `bwledger db upgrade` / `db status`, liveness and readiness, and the
Prometheus metrics (api/metrics.py: counted in the database, so every worker gives the same answer; the last
verification recorded by the verify service). The read replica: tests/api/test_read_replica.py; a restore from
a dump: tests/api/test_restore.py."""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from api_helpers import as_json, determination_payload, logged_in, signed, sqlite_settings
from litestar.testing import TestClient
from typer.testing import CliRunner

from api import health, metrics
from api.access import totp
from api.cli import app as cli_app
from api.http import create_app
from ledger import service
from ledger.store import Store, _alembic_config, schema_revisions
from ledger.verification_runs import latest

runner = CliRunner()
NEWEST = schema_revisions()[-1]


def _env(url: str, schema: str | None, home) -> dict[str, str]:
    return {"BWLEDGER_HOME": str(home), "BWLEDGER_DATABASE_URL": url, **({"BWLEDGER_DATABASE_SCHEMA": schema}
                                                                         if schema else {})}


def cli(env, *args):
    result = runner.invoke(cli_app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result


# ------------------------------------------------------------------------------------------ db upgrade
def test_db_upgrade_migrates_an_empty_database_then_does_nothing(backend, tmp_path):
    url, schema = backend
    env = _env(url, schema, tmp_path)
    behind = cli(env, "db", "status")
    assert behind.exit_code == 1 and f"{len(schema_revisions())} migraties te doen" in behind.output
    assert "voer `bwledger db upgrade` uit" in behind.output
    done = cli(env, "db", "upgrade")
    assert done.exit_code == 0, done.output
    assert f"bijgewerkt: {len(schema_revisions())} migraties uitgevoerd, van leeg naar {NEWEST}" in done.output
    assert all(f"  {rev}\n" in done.output for rev in schema_revisions())
    again = cli(env, "db", "upgrade")
    assert again.exit_code == 0 and f"is al bijgewerkt: revisie {NEWEST}; niets te doen" in again.output
    status = cli(env, "db", "status")
    assert status.exit_code == 0 and f"revisie {NEWEST}, de nieuwste" in status.output
    # only the schema: no operator key, no genesis entry (that is `bwledger ledger init`)
    assert not (tmp_path / "keys").exists() or not any((tmp_path / "keys").iterdir())
    store = Store(url, schema=schema)
    try:
        assert store.size() == 0
    finally:
        store.dispose()


def test_db_upgrade_runs_only_the_missing_migrations(backend, tmp_path):
    from alembic import command

    url, schema = backend
    older = schema_revisions()[-2]
    store = Store(url, schema=schema)
    try:
        cfg = _alembic_config()
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, older)
        assert store.schema_revision() == older
    finally:
        store.dispose()
    done = cli(_env(url, schema, tmp_path), "db", "upgrade")
    assert done.exit_code == 0, done.output
    assert f"1 migratie uitgevoerd, van {older} naar {NEWEST}\n  {NEWEST}\n" in done.output


def test_db_upgrade_on_a_database_it_cannot_reach_says_so(tmp_path):
    done = cli(_env("postgresql+psycopg://postgres:geheim@127.0.0.1:1/nergens", None, tmp_path), "db", "upgrade")
    assert done.exit_code == 2
    assert "is niet bij te werken" in done.output and "geheim" not in done.output  # the password is not shown


# ------------------------------------------------------------------------------------------ liveness, readiness
@pytest.fixture
def app(tmp_path):
    with TestClient(create_app(sqlite_settings(tmp_path)), base_url="https://testserver.local") as c:
        yield logged_in(c)


def test_liveness_and_readiness_are_public_and_say_what_they_checked(app):
    app.auth = None
    live = app.get("/v1/gezondheid/levend")
    assert live.status_code == 200 and live.json()["status"] == "levend"
    ready = app.get("/v1/gezondheid/gereed")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "gereed"
    assert [(c["naam"], c["geslaagd"]) for c in ready.json()["controles"]] == [("database", True), ("sleutel", True)]


def test_readiness_fails_without_the_operator_key(app):
    store = app.app.state.store
    operator, store.operator = store.operator, None
    try:
        r = app.get("/v1/gezondheid/gereed")
    finally:
        store.operator = operator
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "NOT_READY" and r.headers["retry-after"] == "5"
    assert {c["naam"]: c["geslaagd"] for c in body["controles"]} == {"database": True, "sleutel": False}
    assert "geen sleutel van de beheerder" in body["detail"]


def test_readiness_fails_on_an_unreachable_replica_and_an_empty_database(app, tmp_path):
    store = app.app.state.store
    gone = Store("postgresql+psycopg://postgres@127.0.0.1:1/nergens")
    try:
        ready = health.readiness(store, gone)
    finally:
        gone.dispose()
    assert not ready.ready
    assert [(c.name, c.ok) for c in ready.checks] == [("database", True), ("sleutel", True), ("leesreplica", False)]
    assert "niet bereikbaar" in ready.checks[2].detail
    empty = Store(f"sqlite:///{tmp_path / 'leeg.db'}")
    try:
        empty_ready = health.readiness(empty)
    finally:
        empty.dispose()
    assert [(c.name, c.ok) for c in empty_ready.checks] == [("database", False), ("sleutel", False)]
    assert "bwledger db upgrade" in empty_ready.checks[0].detail


# ------------------------------------------------------------------------------------------ metrics
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|\+Inf|NaN)$')


def parse(text: str) -> dict[str, float]:
    """The samples of a text exposition (format 0.0.4), each line checked; `name{labels}` -> value."""
    assert text.endswith("\n")
    samples, families = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in ("counter", "gauge", "histogram") and name not in families
            families.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        assert any(m.group(1) == f or m.group(1).startswith(f + "_") for f in families), line
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(4))
    return samples


def scrape(client, token: str | None = None) -> dict[str, float]:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {token or client.auth.token('OPERATOR')}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == metrics.CONTENT_TYPE
    return parse(r.text)


def test_metrics_need_the_operators_monitoring_token(app):
    assert app.get("/metrics", auth=None).status_code == 401
    finance = app.auth.token("GM0166")
    assert app.get("/metrics", headers={"Authorization": f"Bearer {finance}"}).status_code == 403
    assert app.get("/metrics", headers={"Authorization": f"Bearer {app.auth.token('OPERATOR', ('auditor',))}"}
                   ).status_code == 200


def test_append_rate_and_latency(app):
    before = scrape(app)
    signer = service.party_signer(app.app.state.store, app.app.state.settings.keys_dir, "GM0166")
    for n in range(3):
        r = app.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id=f"m-{n}"))))
        assert r.status_code == 201, r.text
    replay = app.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id="m-0"))))
    assert replay.status_code in (200, 201)
    after = scrape(app)
    assert after["bwledger_ledger_entries_total"] == app.app.state.store.size()
    assert after["bwledger_ledger_entries_total"] >= before["bwledger_ledger_entries_total"] + 3
    count = after["bwledger_append_duration_seconds_count"]
    assert count - before["bwledger_append_duration_seconds_count"] == 3 + (replay.status_code == 201)
    buckets = [v for k, v in after.items() if k.startswith("bwledger_append_duration_seconds_bucket")]
    assert buckets == sorted(buckets) and buckets[-1] == count  # cumulative, +Inf is the count
    assert after['bwledger_append_duration_seconds_bucket{le="+Inf"}'] == count
    assert after["bwledger_append_duration_seconds_sum"] > 0
    assert after["bwledger_checkpoint_tree_size"] == app.app.state.store.size()
    assert after["bwledger_entries_waiting_for_checkpoint"] == 0
    assert 0 <= after["bwledger_checkpoint_age_seconds"] < 3600


def test_failed_logins_are_counted_for_the_whole_server(app, tmp_path):
    access = app.app.state.access
    made = access.add_account("lid", "COMMITTEE", ("commissielid",), password="een goed wachtwoord")
    with TestClient(create_app(app.app.state.settings), base_url="https://testserver.local") as other:
        other_auth = logged_in(other).auth  # a second worker on the same database
        before = scrape(other, other_auth.token("OPERATOR"))
        assert app.post("/aanmelden", data={"gebruiker": "lid", "wachtwoord": "fout"}).status_code == 401
        assert app.post("/aanmelden", data={"gebruiker": "niemand", "wachtwoord": "x"}).status_code == 401
        app.cookies.clear()
        r = app.post("/aanmelden", data={"gebruiker": "lid", "wachtwoord": "een goed wachtwoord"},
                     follow_redirects=False)
        assert r.status_code == 303
        wrong = f"{(int(totp.code_at(made.totp_secret, time.time())) + 1) % 1_000_000:06d}"
        assert app.post("/aanmelden/code", data={"code": wrong}, follow_redirects=False).status_code == 401
        after = scrape(other, other_auth.token("OPERATOR"))
    step = 'bwledger_login_failures_total{step="%s"}'
    assert after[step % "password"] - before[step % "password"] == 2
    assert after[step % "second_factor"] - before[step % "second_factor"] == 1


def test_the_verification_status_is_the_last_verify_run(app, tmp_path):
    assert not any(k.startswith("bwledger_verification") for k in scrape(app))  # none ran yet
    r = app.get("/v1/grootboek/controle")
    assert r.status_code == 200 and r.json()["ok"] is True
    seen = scrape(app)
    assert seen['bwledger_verification_ok{source="primary"}'] == 1
    assert seen['bwledger_verification_problems{source="primary"}'] == 0
    assert seen['bwledger_verification_entries{source="primary"}'] == app.app.state.store.size()
    # `bwledger ledger verify` records its run the same way: a damaged entry makes it a failed one
    store = app.app.state.store
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_entries_no_update")  # SQLite: the append-only guard
        conn.execute(sa.text("UPDATE ledger_entries SET kind = 'x' WHERE seq = 0"))
    settings = app.app.state.settings
    done = cli({"BWLEDGER_HOME": str(settings.home), "BWLEDGER_DATABASE_URL": settings.database_url,
                "BWLEDGER_REPLAY_DETERMINATIONS": "0"}, "ledger", "verify")
    assert done.exit_code == 1, done.output
    run = latest(store.engine)
    assert run is not None and not run.ok and run.problems >= 1 and run.source == "primary"
    assert scrape(app)['bwledger_verification_ok{source="primary"}'] == 0


# ------------------------------------------------------------------------------------------ operator key in an HSM
def test_the_operator_key_in_an_hsm_signs_genesis_and_checkpoints(tmp_path):
    """BWLEDGER_OPERATOR_SIGN_COMMAND + BWLEDGER_OPERATOR_PUBLIC_KEY: the server signs through the command
    (tests/sign_with_keyfile.py standing in for the HSM); no operator key file is read or made."""
    import sys
    from pathlib import Path

    from api.settings import load_settings
    from ledger.keyfile import new_key_file, public_key_path

    hsm = tmp_path / "hsm" / "operator.pem"
    key = new_key_file(hsm, "OPERATOR")
    script = Path(__file__).resolve().parents[1] / "sign_with_keyfile.py"
    home = tmp_path / "home"
    settings = load_settings({"BWLEDGER_HOME": str(home), "BWLEDGER_CHECKPOINT_SECONDS": "0",
                              "BWLEDGER_REPLAY_DETERMINATIONS": "0",
                              "BWLEDGER_OPERATOR_SIGN_COMMAND": f"{sys.executable} {script} {hsm} --format hex",
                              "BWLEDGER_OPERATOR_PUBLIC_KEY": str(public_key_path(hsm))})
    with TestClient(create_app(settings), base_url="https://testserver.local") as c:
        store = logged_in(c).app.state.store
        assert store.operator.key_id == key.key_id and type(store.operator).__name__ == "CommandSigner"
        signer = service.party_signer(store, settings.keys_dir, "GM0166")  # registered by the HSM's key
        r = c.post("/v1/grootboek/regels", json=as_json(signed(signer, determination_payload(det_id="hsm"))))
        assert r.status_code == 201, r.text
        cp = store.latest_checkpoint()
        assert cp.key_id == key.key_id and cp.tree_size == store.size()
        ready = c.get("/v1/gezondheid/gereed").json()
        assert ready["status"] == "gereed" and key.key_id[:16] in ready["controles"][1]["toelichting"]
        assert c.get("/v1/grootboek/controle").json()["ok"] is True
    assert not list(settings.keys_dir.glob("OPERATOR*"))  # no operator key file was made
    with pytest.raises(ValueError, match="go together"):
        load_settings({"BWLEDGER_OPERATOR_SIGN_COMMAND": "x"})
