"""C2SP tlog-cosignature v1 (ledger/cosignature.py): the signed message as the spec spells it, a round trip,
and one test per refusal, each naming its problem code."""
import base64
import struct

import pytest

from ledger import cosignature as cs
from ledger import note
from ledger.checkpoints import checkpoint_text
from ledger.crypto import new_signer
from ledger.note import NoteError

ORIGIN = "bwledger.test/log"
TEXT = checkpoint_text(ORIGIN, 5, bytes(range(32)))
LOG = new_signer("OPERATOR")
W1, W2, W3 = new_signer("RG:a"), new_signer("RG:b"), new_signer("RG:c")
LOG_V = note.Verifier(ORIGIN, note.ED25519, LOG.public_key)


def _wv(signer, name):
    return cs.witness_verifier(name, signer.public_key)


V1, V2, V3 = _wv(W1, "w1.test/w"), _wv(W2, "w2.test/w"), _wv(W3, "w3.test/w")


def _log_line(text=TEXT):
    return note.sign_line(ORIGIN, LOG.public_key, LOG.sign, text)


def _co(signer, name, text=TEXT, ts=1_700_000_000):
    return cs.cosign(name, signer.public_key, signer.sign, text, ts)


def _note(*lines, text=TEXT):
    return note.format_note(text, lines)


def _code(fn, *args, **kw):
    with pytest.raises(NoteError) as e:
        fn(*args, **kw)
    return e.value.code


def test_the_signed_message_is_the_spec_layout():
    # c2sp.org/tlog-cosignature, "Ed25519 signed message": header line, time line, the note text
    assert cs.cosigned_message(TEXT, 1679315147) == b"cosignature/v1\ntime 1679315147\n" + TEXT
    line = _co(W1, "w1.test/w", ts=1679315147)
    raw = base64.b64decode(line.line().split(" ")[2])
    assert raw[:4] == note.key_id("w1.test/w", 0x04, W1.public_key)
    assert struct.unpack(">Q", raw[4:12])[0] == 1679315147 and len(raw) == 4 + 8 + 64
    name, hex_id, b64 = V1.vkey().split("+", 2)
    assert (name, hex_id, base64.b64decode(b64)) == ("w1.test/w", raw[:4].hex(), b"\x04" + W1.public_key)


def test_round_trip_counts_each_trusted_witness_with_its_time():
    data = _note(_log_line(), _co(W1, "w1.test/w", ts=10), _co(W2, "w2.test/w", ts=20))
    opened = cs.verified_cosigners(data, LOG_V.vkey(), [V1.vkey(), V2.vkey(), V3.vkey()])
    assert [(c.verifier, c.timestamp) for c in opened.cosigners] == [(V1, 10), (V2, 20)]
    assert opened.checkpoint.tree_size == 5 and opened.distinct_witnesses == 2
    assert cs.require_quorum(data, LOG_V, [V1, V2, V3], 2).distinct_witnesses == 2


def test_quorum_not_met():
    data = _note(_log_line(), _co(W1, "w1.test/w"))
    assert _code(cs.require_quorum, data, LOG_V, [V1, V2], 2) == "QUORUM_NOT_MET"


def test_unknown_cosigners_are_ignored_and_do_not_count():
    stranger = new_signer("X")
    data = _note(_log_line(), _co(stranger, "w1.test/w"), _co(W2, "other.test/w"))  # same name / same key, not both
    assert cs.verified_cosigners(data, LOG_V, [V1, V2]).cosigners == ()
    assert _code(cs.require_quorum, data, LOG_V, [V1, V2], 1) == "QUORUM_NOT_MET"


def test_one_key_under_two_names_counts_once():
    alias = _wv(W1, "alias.test/w")
    data = _note(_log_line(), _co(W1, "w1.test/w"), _co(W1, "alias.test/w"))
    assert cs.verified_cosigners(data, LOG_V, [V1, alias]).distinct_witnesses == 1
    assert _code(cs.require_quorum, data, LOG_V, [V1, alias, V2], 2) == "QUORUM_NOT_MET"


def test_a_trusted_cosignature_that_does_not_verify_rejects_the_note():
    other = checkpoint_text(ORIGIN, 6, bytes(32))
    data = _note(_log_line(), _co(W1, "w1.test/w", text=other))  # cosigned another checkpoint
    assert _code(cs.verified_cosigners, data, LOG_V, [V1]) == "NOTE_SIGNATURE_INVALID"


def test_a_changed_time_does_not_verify():
    good = _co(W1, "w1.test/w", ts=100)
    moved = note.NoteSignature(good.name, good.key_id, struct.pack(">Q", 101) + good.signature[8:])
    assert _code(cs.verified_cosigners, _note(_log_line(), moved), LOG_V, [V1]) == "NOTE_SIGNATURE_INVALID"


def test_a_cosignature_of_the_wrong_length_does_not_verify():
    short = note.NoteSignature("w1.test/w", V1.key_id, bytes(60))
    assert not cs.verify_cosignature(V1, note.parse_note(_note(_log_line())), short)
    assert _code(cs.cosignature_timestamp, short) == "COSIGNATURE_MALFORMED"
    assert _code(cs.verified_cosigners, _note(_log_line(), short), LOG_V, [V1]) == "NOTE_SIGNATURE_INVALID"


def test_a_time_beyond_2_63_is_malformed():
    assert _code(cs.cosigned_message, TEXT, 2 ** 63) == "COSIGNATURE_TIMESTAMP_INVALID"
    huge = note.NoteSignature("w1.test/w", V1.key_id, struct.pack(">Q", 2 ** 63) + bytes(64))
    assert _code(cs.cosignature_timestamp, huge) == "COSIGNATURE_MALFORMED"


def test_a_cosignature_from_the_future_is_refused_when_asked():
    data = _note(_log_line(), _co(W1, "w1.test/w", ts=2_000))
    assert cs.verified_cosigners(data, LOG_V, [V1], not_after=2_000).distinct_witnesses == 1
    assert _code(cs.verified_cosigners, data, LOG_V, [V1], not_after=1_999) == "COSIGNATURE_TIME_IN_FUTURE"


def test_without_the_logs_signature_no_cosignature_counts():
    data = _note(_co(W1, "w1.test/w"), _co(W2, "w2.test/w"))
    assert _code(cs.require_quorum, data, LOG_V, [V1, V2], 1) == "LOG_SIGNATURE_MISSING"
    assert _code(cs.verified_cosigners, _note(_co(W1, "w1.test/w")), LOG_V, []) == "LOG_SIGNATURE_MISSING"


def test_the_origin_must_be_the_log_keys_name():
    text = checkpoint_text("other.test/log", 5, bytes(32))
    other_v = note.Verifier("other.test/log", note.ED25519, LOG.public_key)
    data = _note(note.sign_line(ORIGIN, LOG.public_key, LOG.sign, text), text=text)
    assert _code(cs.verified_cosigners, data, LOG_V, []) == "CHECKPOINT_ORIGIN_MISMATCH"
    assert cs.verified_cosigners(_note(note.sign_line("other.test/log", LOG.public_key, LOG.sign, text),
                                       text=text), other_v, []).cosigners == ()


def test_a_log_key_must_be_ed25519_and_a_witness_key_a_cosignature_key():
    assert _code(cs.log_key, V1.vkey()) == "LOG_KEY_INVALID"
    assert _code(cs.witness_verifiers, [LOG_V.vkey()]) == "COSIGNER_KEY_INVALID"


@pytest.mark.parametrize("k", [0, 3])
def test_a_quorum_outside_one_to_the_witnesses_is_invalid(k):
    data = _note(_log_line(), _co(W1, "w1.test/w"), _co(W2, "w2.test/w"))
    assert _code(cs.require_quorum, data, LOG_V, [V1, V2], k) == "QUORUM_INVALID"


def test_a_note_that_is_no_checkpoint_is_refused():
    text = b"just a note\n"
    data = note.format_note(text, [note.sign_line(ORIGIN, LOG.public_key, LOG.sign, text)])
    assert _code(cs.verified_cosigners, data, LOG_V, []) == "CHECKPOINT_MALFORMED"
