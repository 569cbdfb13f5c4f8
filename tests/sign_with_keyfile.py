"""An external signer for the tests, standing in for a party's HSM or KMS (`--sign-command`,
ledger.signers.CommandSigner): reads the bytes to sign on stdin, signs them with a PEM key file and
writes the signature on stdout.

    python tests/sign_with_keyfile.py KEYFILE [--format raw|hex|base64|base64url] [--passphrase-env VAR]
                                             [--fail] [--garbage]

It uses `cryptography` only, not the ledger package: the key file of `bwledger keys new` is an ordinary
PKCS#8 PEM file to any tool. --fail exits with status 3 and a message on stderr; --garbage writes
something that is not a signature.
"""
import argparse
import base64
import os
import sys

from cryptography.hazmat.primitives import serialization


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("key")
    ap.add_argument("--format", choices=["raw", "hex", "base64", "base64url"], default="raw")
    ap.add_argument("--passphrase-env")
    ap.add_argument("--fail", action="store_true")
    ap.add_argument("--garbage", action="store_true")
    args = ap.parse_args()
    data = sys.stdin.buffer.read()
    if args.fail:
        print("HSM niet bereikbaar", file=sys.stderr)
        return 3
    if args.garbage:
        sys.stdout.write("geen handtekening\n")
        return 0
    password = os.environ[args.passphrase_env].encode() if args.passphrase_env else None
    with open(args.key, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password)
    sig = key.sign(data)
    if args.format == "raw":
        sys.stdout.buffer.write(sig)
    elif args.format == "hex":
        sys.stdout.write(sig.hex() + "\n")
    elif args.format == "base64":
        sys.stdout.write(base64.b64encode(sig).decode() + "\n")
    else:
        sys.stdout.write(base64.urlsafe_b64encode(sig).decode().rstrip("=") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
