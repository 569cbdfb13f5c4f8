"""Files are private (issue 12): the database, keys/, documents/ and outputs/ under BWLEDGER_HOME are
mode 0600 in folders of mode 0700 (ledger/private_files.py)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from api_helpers import ROOT, sqlite_settings

from api import bootstrap
from api.access.identity import ROLES
from ledger.private_files import private_dir, private_file


def modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = stat.S_IMODE(p.stat().st_mode)
    return out


def not_private(root: Path) -> dict[str, str]:
    return {name: oct(mode) for name, mode in modes(root).items()
            if mode != (0o700 if (root / name).is_dir() else 0o600)}


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run


def test_after_the_demo_every_file_under_the_home_is_private(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "BWLEDGER_HOME": str(home)}
    env.pop("BWLEDGER_DATABASE_URL", None)
    run = subprocess.run([sys.executable, "-m", "api.cli", "demo"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    names = modes(home)
    for expected in ("bwledger.db", "keys", "documents", "outputs", "outputs/verrekening"):
        assert expected in names, sorted(names)[:20]
    assert any(n.startswith("documents/") and (home / n).is_file() for n in names)
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".pdf") for n in names)
    assert not_private(home) == {}
    # every determination the demo recorded (casebook cases, placements, the N8) is replayed on its deposited
    # facts by `ledger verify` on this machine (the KEK is here): nothing missing, nothing not run
    assert "verificatie OK" in run.stdout, run.stdout[-2000:]
    report = json.loads(_cli(env, "ledger", "verify", "--json").stdout)
    assert report["ok"] is True and report["problems"] == [] and report["replay_not_run"] == [], report
    # a second run books nothing twice
    again = _cli(env, "demo")
    assert "Ledger: 0 beoordelingen vastgelegd" in again.stdout and "0 regels geboekt in deze run" in again.stdout
    assert json.loads(_cli(env, "ledger", "verify", "--json").stdout)["entries"] == report["entries"]
    # the demo prints its accounts, one per role, and they log in on the pages
    from api.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    assert f"wachtwoord voor elk demo-account: {DEMO_PASSWORD}" in run.stdout
    assert all(username in run.stdout for username, *_ in DEMO_ACCOUNTS)
    assert {role for *_, roles, _n in DEMO_ACCOUNTS for role in roles} == set(ROLES)
    from litestar.testing import TestClient

    from api.http import create_app

    with TestClient(create_app(sqlite_settings(home)), base_url="https://testserver.local") as c:
        r = c.post("/aanmelden", data={"gebruiker": "financien@kampen.demo", "wachtwoord": DEMO_PASSWORD},
                   follow_redirects=False)
        assert r.status_code == 303 and c.get("/v1/ik").json()["party"] == "GM0166"


def test_the_server_keeps_its_files_private_whatever_the_umask(tmp_path):
    """Without the CLI's umask (this test process has its own): the store and the exhibits set the modes."""
    old = os.umask(0o022)
    try:
        settings = sqlite_settings(tmp_path / "home")
        store = bootstrap.init_store(settings)
        store.size()
        sha = bootstrap.client_documents(settings, store).put("PSN-modes", b"%PDF-1.4 bijlage")
        store.dispose()
    finally:
        os.umask(old)
    home = settings.home
    assert (home / "bwledger.db").exists() and list(settings.documents_dir.rglob(sha))
    assert not_private(home) == {}


def test_an_existing_database_and_folder_are_made_private(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    db = home / "bwledger.db"
    db.write_bytes(b"")
    os.chmod(db, 0o644)
    os.chmod(home, 0o755)
    store = bootstrap.init_store(sqlite_settings(home))
    store.dispose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(home.stat().st_mode) == 0o700


def test_private_dir_leaves_existing_parents_alone(tmp_path):
    os.chmod(tmp_path, 0o755)
    leaf = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700 and stat.S_IMODE(leaf.stat().st_mode) == 0o700
    f = private_file(leaf / "x")
    assert f.read_bytes() == b"" and stat.S_IMODE(f.stat().st_mode) == 0o600
