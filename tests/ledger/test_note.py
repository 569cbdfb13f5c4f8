"""C2SP signed-note (ledger/note.py) and tlog-checkpoint text (ledger/checkpoints.py): the spec's own
example, and one test per refusal, each naming its problem code."""
import base64

import pytest

from ledger import note
from ledger.checkpoints import checkpoint_text, parse_checkpoint_text
from ledger.crypto import new_signer
from ledger.note import NoteError

# c2sp.org/signed-note, "Verifier keys", "Example"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONnc"
             "AlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n").encode()


def _code(fn, *args):
    with pytest.raises(NoteError) as e:
        fn(*args)
    return e.value.code


def test_the_spec_example_verifies_and_round_trips():
    v = note.parse_vkey(SPEC_VKEY)
    opened, ok = note.open_note(SPEC_NOTE, [v])
    assert opened.text == b"This is an example message.\n" and ok == [v]
    assert note.format_note(opened.text, opened.signatures) == SPEC_NOTE
    assert v.vkey() == SPEC_VKEY


def test_a_changed_text_is_refused_by_its_known_key():
    v = note.parse_vkey(SPEC_VKEY)
    assert _code(note.open_note, SPEC_NOTE.replace(b"example", b"exemple", 1), [v]) == "NOTE_SIGNATURE_INVALID"


def test_unknown_keys_are_ignored_and_a_note_nobody_known_signed_is_refused():
    other = new_signer("X")
    v = note.Verifier("example.com/foo", note.ED25519, other.public_key)  # same name, other key: other ID
    assert _code(note.open_note, SPEC_NOTE, [v]) == "NOTE_UNVERIFIED"


def test_sign_and_open_with_two_keys():
    a, b = new_signer("A"), new_signer("B")
    text = checkpoint_text("bwledger.example/test", 3, bytes(32))
    sigs = [note.sign_line("a.example/log", a.public_key, a.sign, text),
            note.sign_line("b.example/w", b.public_key, b.sign, text)]
    data = note.format_note(text, sigs)
    va = note.Verifier("a.example/log", note.ED25519, a.public_key)
    vb = note.Verifier("b.example/w", note.ED25519, b.public_key)
    assert note.open_note(data, [vb, va])[1] == [va, vb]


@pytest.mark.parametrize("data", [
    b"no blank line\n\xe2\x80\x94 a AAAAAAA=\n",
    b"text\n\n",                                 # no signature
    b"text\n\nnot a signature line\n",
    b"text\n\n\xe2\x80\x94 a not-base64!\n",
    b"text\n\n\xe2\x80\x94 a AAAA\n",            # shorter than a key ID and one byte
    b"tab\there\n\n\xe2\x80\x94 a AAAAAAA=\n",   # a control character
    b"\xff\n\n\xe2\x80\x94 a AAAAAAA=\n",        # not UTF-8
])
def test_malformed_notes_are_refused(data):
    assert _code(note.parse_note, data) == "NOTE_MALFORMED"


def test_more_signatures_than_the_limit_are_refused():
    line = "\u2014 a " + base64.b64encode(bytes(68)).decode() + "\n"
    assert _code(note.parse_note, ("t\n\n" + line * (note.MAX_SIGNATURES + 1)).encode()) == "NOTE_MALFORMED"


@pytest.mark.parametrize("vkey", ["a+b", "a+zzzzzzzz+AQ==", "a+530d903a+" + base64.b64encode(bytes(33)).decode(),
                                  SPEC_VKEY.replace("530d903a", "530d903b")])
def test_malformed_vkeys_are_refused(vkey):
    assert _code(note.parse_vkey, vkey) == "NOTE_VKEY_MALFORMED"


@pytest.mark.parametrize("name", ["", "has space", "has+plus"])
def test_key_names_without_spaces_or_plus(name):
    assert _code(note.key_id, name, note.ED25519, bytes(32)) == "NOTE_KEY_NAME_INVALID"


def test_checkpoint_text_round_trips_the_spec_example():
    # c2sp.org/tlog-checkpoint: the example's note text
    text = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = parse_checkpoint_text(text)
    assert (cp.origin, cp.tree_size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert checkpoint_text(cp.origin, cp.tree_size, cp.root_hash) == text


@pytest.mark.parametrize("text", [b"o\n012\n" + base64.b64encode(bytes(32)) + b"\n",  # leading zero
                                  b"o\n1\n" + base64.b64encode(bytes(31)) + b"\n",    # short root
                                  b"o\n1\n",                                            # two lines
                                  b"o\n1\n" + base64.b64encode(bytes(32)) + b"\n\n",  # empty extension line
                                  b"o\n1\n" + base64.b64encode(bytes(32))])           # no final newline
def test_malformed_checkpoint_texts_are_refused(text):
    assert _code(parse_checkpoint_text, text) == "CHECKPOINT_MALFORMED"


def test_an_origin_with_a_space_is_refused():
    assert _code(checkpoint_text, "my log", 0, bytes(32)) == "CHECKPOINT_ORIGIN_INVALID"


def test_a_vkey_whose_base64_key_holds_a_plus_parses():
    """The key part is base64, which has '+' in its alphabet: the name and the key ID are split off, the
    rest is the key (golang.org/x/mod/sumdb/note NewVerifier)."""
    for i in range(64):
        public_key = bytes([i]) * 32
        v = note.Verifier("example.com/log", note.ED25519, public_key)
        assert note.parse_vkey(v.vkey()) == v
    assert any("+" in note.vkey("n", note.ED25519, bytes([i]) * 32).split("+", 2)[2] for i in range(64))
