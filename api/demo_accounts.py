"""The demo's accounts: one per role for a few parties, so `make demo` can be tried on the pages at once.

Demo only. Every account gets the same demo password (printed), and the roles that need a second factor
a TOTP secret, kept with the demo keystore (`keys/demo-accounts.json`, mode 0600) so a second run prints
them again. A real deployment makes accounts with `bwledger accounts add` (README, "Aanmelden").
"""
from __future__ import annotations

import json

from api import bootstrap
from api.access.accounts import AccessError
from api.access.totp import code_at
from ledger.private_files import write_private

DEMO_PASSWORD = "demo-wachtwoord-bw"
#: (username, party, roles, name on the pages)
DEMO_ACCOUNTS = [
    ("financien@kampen.demo", "GM0166", ("finance",), "Financiën Kampen"),
    ("regio@kampen.demo", "GM0166", ("regio",), "Regio-medewerker Kampen"),
    ("financien@zwolle.demo", "GM0193", ("finance",), "Financiën Zwolle"),
    ("regio@ijssel-vecht.demo", "RG:ijssel-vecht", ("regio",), "Regio IJssel-Vecht"),
    ("secretaris@commissie.demo", "COMMITTEE", ("secretaris",), "Secretaris geschillencommissie"),
    ("lid@commissie.demo", "COMMITTEE", ("commissielid",), "Commissielid"),
    ("auditor@beheer.demo", "OPERATOR", ("auditor",), "Auditor"),
    ("beheer@beheer.demo", "OPERATOR", ("beheer",), "Beheerder"),
]


def ensure_demo_accounts(settings, store, case_ids=()) -> list[tuple[str, str, str, str | None]]:
    """Make the demo accounts that are missing; (username, party, roles, TOTP secret) for each. The
    committee member is assigned the demo's cases."""
    access = bootstrap.access_service(store)
    path = settings.keys_dir / "demo-accounts.json"
    secrets = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for username, party, roles, name in DEMO_ACCOUNTS:
        try:
            made = access.add_account(username, party, roles, display_name=name, password=DEMO_PASSWORD)
            secrets[username] = made.totp_secret
        except AccessError as exc:
            if exc.code != "ACCOUNT_EXISTS":
                raise
    if path.exists():
        path.unlink()
    write_private(path, json.dumps(secrets, indent=1).encode())
    for case_id in case_ids:
        access.assign_case(case_id, "lid@commissie.demo", by="demo")
    return [(u, p, ", ".join(r), secrets.get(u)) for u, p, r, _n in DEMO_ACCOUNTS]


def print_demo_accounts(console, accounts, now: float) -> None:
    console.print("Aanmelden op de pagina's (`bwledger serve`, dan http://127.0.0.1:8000/aanmelden), "
                  f"wachtwoord voor elk demo-account: {DEMO_PASSWORD}")
    for username, party, roles, secret in accounts:
        extra = f"; TOTP-sleutel {secret} (code nu {code_at(secret, now)})" if secret else ""
        console.print(f"  {username:28} {party:16} {roles}{extra}")
