"""The second factor: time-based one-time passwords, RFC 6238 (TOTP) over RFC 4226 (HOTP).

HMAC-SHA-1, 30-second steps, 6 digits: the defaults every authenticator app (FreeOTP, Google/Microsoft
Authenticator) reads from an `otpauth://` URI. A code is accepted one step either side of now (RFC 6238
section 5.2: allowing for clock drift and the time to type), and never twice: `verify` returns the step it
matched, the caller stores it and refuses that step or an earlier one the next time (section 5.2, "the
verifier MUST NOT accept the second attempt of the same OTP").
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> str:
    """20 random bytes (RFC 4226 section 4, R6: the length of the HMAC-SHA-1 output), base32 without padding."""
    return base64.b32encode(os.urandom(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def hotp(secret: str, counter: int) -> str:
    """RFC 4226 section 5.3: HMAC-SHA-1 of the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10 ** DIGITS).zfill(DIGITS)


def step(unix_time: float) -> int:
    """RFC 6238 section 4.2: T = floor((now - T0) / X), T0 = 0, X = 30 s."""
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    return hotp(secret, step(unix_time))


def verify(secret: str, code: str, unix_time: float, *, after_step: int | None = None) -> int | None:
    """The step `code` belongs to (within DRIFT_STEPS of now, later than `after_step`), or None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():  # isdigit alone takes "²"
        return None
    now = step(unix_time)
    for candidate in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and candidate <= after_step:
            continue
        if hmac.compare_digest(hotp(secret, candidate), code):
            return candidate
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "bwledger") -> str:
    """The `otpauth://totp/...` URI an authenticator app reads (as a QR code or typed in)."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                                                   "digits": DIGITS, "period": STEP_SECONDS})
