"""The real-provider harness of the OIDC tests: a test CA (trustme), panva's `oidc-provider` (node, over
TLS, tests/oidc/provider/provider.mjs) and `bwledger serve --tls-cert/--tls-key` configured to log in
through it; and a small "browser" (httpx with the test CA, one cookie jar) that follows the provider's
login and consent forms. No mock: every hop is real HTTP over TLS."""
from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import trustme

from api_helpers import ROOT, LoggedProcess, free_port, stop_process

PROVIDER_DIR = ROOT / "tests" / "oidc" / "provider"
HOST = "127.0.0.1"
CLIENT_ID = "bwledger"
CLIENT_SECRET = "test-client-secret-7f3a"
MACHINE_ID = "bw-machine-kampen"
MACHINE_SECRET = "test-machine-secret-91c2"
API_AUDIENCE = "urn:bwledger:api"
#: the parties the provider is configured for in bwledger (BWLEDGER_OIDC_PARTIES)
PARTIES = "GM0166,GM0148"
PROVIDER_NAME = "test-idp"
USERS = {
    "anna": {"password": "anna-wachtwoord", "claims": {"bw_party": "GM0166", "bw_roles": ["finance", "regio"],
                                                      "name": "Anna de Vries"}},
    # Zwolle: a party this provider may not assert
    "bert": {"password": "bert-wachtwoord", "claims": {"bw_party": "GM0193", "bw_roles": ["finance"]}},
    # a role bwledger does not know
    "carla": {"password": "carla-wachtwoord", "claims": {"bw_party": "GM0148", "bw_roles": ["finance", "kok"]}},
    # no roles at all
    "dirk": {"password": "dirk-wachtwoord", "claims": {"bw_party": "GM0166", "bw_roles": []}},
}


@dataclass
class Tls:
    """A test CA and one server certificate for 127.0.0.1 and localhost (PEM files in `folder`)."""
    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    @classmethod
    def make(cls, folder: Path) -> "Tls":
        ca = trustme.CA(organization_name="bwledger test CA")
        cert = ca.issue_cert(HOST, "localhost")
        tls = cls(folder / "ca.pem", folder / "server.pem", folder / "server.key")
        ca.cert_pem.write_to_path(str(tls.ca_pem))
        cert.private_key_pem.write_to_path(str(tls.key_pem))
        with open(tls.cert_pem, "wb") as f:
            for blob in cert.cert_chain_pems:
                f.write(blob.bytes())
        os.chmod(tls.key_pem, 0o600)
        return tls

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))


def _wait(proc, url: str, tls: Tls, output, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {output()}")
        try:
            if httpx.get(url, verify=tls.context(), timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_process(proc)
            raise AssertionError(f"{url} did not come up: {output()}")
        time.sleep(0.1)


class Provider(LoggedProcess):
    """panva's oidc-provider over TLS on a free port, configured for the app at `app_url`."""

    def __init__(self, folder: Path, tls: Tls, app_url: str):
        node = shutil.which("node")
        if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
            raise AssertionError("the test OpenID provider is not installed: run `make oidc` (npm ci in "
                                 f"{PROVIDER_DIR}); node: {node}")
        self.port = free_port()
        self.issuer = f"https://{HOST}:{self.port}"
        config = {
            "issuer": self.issuer, "port": self.port, "cert": str(tls.cert_pem), "key": str(tls.key_pem),
            "machine_resource": API_AUDIENCE, "users": USERS,
            "clients": [
                {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_types": ["authorization_code"],
                 "response_types": ["code"], "redirect_uris": [f"{app_url}/login/oidc/callback"],
                 "token_endpoint_auth_method": "client_secret_basic"},
                {"client_id": MACHINE_ID, "client_secret": MACHINE_SECRET, "grant_types": ["client_credentials"],
                 "response_types": [], "redirect_uris": [], "token_endpoint_auth_method": "client_secret_basic",
                 "bw_party": "GM0166", "bw_roles": ["finance"]},
            ],
        }
        path = folder / "provider.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self.log = open(folder / "provider.log", "w+b")
        self.proc = subprocess.Popen([node, str(PROVIDER_DIR / "provider.mjs"), str(path)], cwd=PROVIDER_DIR,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        _wait(self.proc, self.issuer + "/.well-known/openid-configuration", tls, self.output)


class TlsServer(LoggedProcess):
    """`bwledger serve` over TLS with the test certificate, logging in through `provider` when given."""

    def __init__(self, home: Path, tls: Tls, port: int, provider: Provider | None = None):
        self.home, self.port, self.url = home, port, f"https://{HOST}:{port}"
        env = {**os.environ, "BWLEDGER_HOME": str(home), "BWLEDGER_CHECKPOINT_SECONDS": "0"}
        for name in [k for k in env if k.startswith("BWLEDGER_OIDC_") or k == "BWLEDGER_DATABASE_URL"]:
            env.pop(name)
        if provider is not None:
            env.update(oidc_env(provider.issuer, tls, self.url))
        self.log = open(home / "server.log", "w+b")
        self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port),
                                      "--tls-cert", str(tls.cert_pem), "--tls-key", str(tls.key_pem)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        _wait(self.proc, self.url + "/v1/gezondheid", tls, self.output)


def oidc_env(issuer: str, tls: Tls, app_url: str) -> dict[str, str]:
    return {"BWLEDGER_OIDC_ISSUER": issuer, "BWLEDGER_OIDC_CLIENT_ID": CLIENT_ID,
            "BWLEDGER_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "BWLEDGER_OIDC_REDIRECT_URL": f"{app_url}/login/oidc/callback",
            "BWLEDGER_OIDC_PARTIES": PARTIES, "BWLEDGER_OIDC_NAME": PROVIDER_NAME,
            "BWLEDGER_OIDC_CA_BUNDLE": str(tls.ca_pem), "BWLEDGER_OIDC_SCOPES": "openid bw",
            "BWLEDGER_OIDC_API_AUDIENCE": API_AUDIENCE}


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.I)


def browser(tls: Tls) -> httpx.Client:
    """One cookie jar for the app and the provider, trusting only the test CA; redirects followed by hand."""
    return httpx.Client(verify=tls.context(), timeout=15, follow_redirects=False)


def provider_login(b: httpx.Client, authorize_url: str, issuer: str, user: str, password: str | None = None,
                   abort: bool = False) -> str:
    """Go through the provider from its authorization URL as a person would: the login form (user and
    password), the consent form; the URL the provider sends the browser back to (the app's callback)."""
    url = authorize_url
    for _ in range(20):
        r = b.get(url)
        while r.status_code in (302, 303) and r.headers["location"].startswith(("/", issuer)):
            r = b.get(urljoin(issuer, r.headers["location"]))
        if r.status_code in (302, 303):
            return r.headers["location"]  # back to the app
        assert r.status_code == 200, (r.status_code, r.text)
        action = urljoin(issuer, _FORM.search(r.text).group(1))
        if abort:
            r = b.get(urljoin(issuer, re.search(r'href="([^"]+/abort)"', r.text).group(1)))
        elif action.endswith("/login"):
            r = b.post(action, data={"login": user, "password": USERS[user]["password"] if password is None
                                     else password})
        else:
            r = b.post(action, data={})
        if r.status_code not in (302, 303):
            return r  # the provider refused (e.g. a wrong password)
        location = r.headers["location"]
        if not location.startswith(("/", issuer)):
            return location
        url = urljoin(issuer, location)
    raise AssertionError("the provider's login did not end")
