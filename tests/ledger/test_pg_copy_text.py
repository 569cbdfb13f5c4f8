"""The statement column through the text COPY of the PostgreSQL append (ledger.store.pg_bytea_text): the
bytes stored are the bytes signed, for statements with backslashes and escapes (bytea's escape format)
and with non-ASCII text (hex), on both backends."""
from __future__ import annotations

import pytest
from ledger_helpers import determination

from ledger.store import entries, pg_bytea_text
from ledger.verify import verify_store


def test_pg_bytea_text_escapes_backslashes_of_ascii_and_leaves_the_rest_to_hex():
    assert pg_bytea_text(b'{"a":"x\\\\y\\"z"}') == '{"a":"x\\\\\\\\y\\\\"z"}'
    assert pg_bytea_text("{\"a\":\"ë\"}".encode()) == "{\"a\":\"ë\"}".encode()  # bytes: psycopg sends hex
    assert pg_bytea_text(b"\\x41") == "\\\\x41"  # never read as the hex format
    assert pg_bytea_text(b"a\x00b") == b"a\x00b"  # a NUL cannot go in a text COPY


@pytest.mark.parametrize("determination_id", [
    'det-\\ "quoted" \\u0000 tab\t nl\n cr\r \\x41',  # JSON escapes: backslashes in the statement bytes
    "det-Zwolle–Kampen ë ☃",  # UTF-8 beyond ASCII
    "det-plain",
])
def test_the_stored_statement_is_the_signed_one(env, determination_id):
    signed = env.sign("GM0166", "determination", determination(determination_id=determination_id),
                      authored_at=env.store.clock())
    results = env.store.append_batch([signed.as_item(), env.sign(
        "GM0166", "determination", determination(determination_id=determination_id + "-2"),
        authored_at=env.store.clock()).as_item()])
    (row,) = env.store.rows_where(entries.c.seq == results[0].seq)
    assert row.statement == signed.statement
    report = verify_store(env.store, workers=1)
    assert report.ok, report.problems[:3]
