"""Exhibits: each accepted type, each refusal path, content addressing, append-only metadata."""
import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from case_helpers import CLAIMING, RESPONDING, eml_bytes, jpeg_bytes, ooxml_bytes, pdf_bytes, png_bytes
from cases import service
from cases.documents import check_content
from cases.errors import CaseError


def accepted():
    return [("brief.pdf", pdf_bytes(), "application/pdf"), ("scan.png", png_bytes(), "image/png"),
            ("foto.jpg", jpeg_bytes(), "image/jpeg"), ("foto.JPEG", jpeg_bytes(), "image/jpeg"),
            ("nota.docx", ooxml_bytes("docx"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("kosten.xlsx", ooxml_bytes("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("mail.eml", eml_bytes(), "message/rfc822")]


def test_each_accepted_type():
    for name, data, media in accepted():
        c = check_content(name, data)
        assert c.media_type == media and c.size == len(data) and len(c.sha256) == 64


@pytest.mark.parametrize("name,data,code", [
    ("virus.exe", b"MZ\x90\x00", "DOCUMENT_TYPE_REFUSED"),
    ("notitie.txt", b"tekst", "DOCUMENT_TYPE_REFUSED"),
    ("zonder-extensie", b"%PDF-1.7\n%%EOF", "DOCUMENT_TYPE_REFUSED"),
    ("leeg.pdf", b"", "DOCUMENT_EMPTY"),
    ("nep.pdf", b"<html>geen pdf</html>", "DOCUMENT_CONTENT_MISMATCH"),
    ("afgekapt.pdf", b"%PDF-1.7\n1 0 obj", "DOCUMENT_CONTENT_MISMATCH"),
    ("nep.png", b"GIF89a......", "DOCUMENT_CONTENT_MISMATCH"),
    ("nep.jpg", b"\x89PNG\r\n\x1a\nxxxx", "DOCUMENT_CONTENT_MISMATCH"),
    ("nep.docx", b"PK\x03\x04 not a zip at all", "DOCUMENT_CONTENT_MISMATCH"),
    ("geen-zip.xlsx", b"%PDF-1.7 ...", "DOCUMENT_CONTENT_MISMATCH"),
    ("nep.eml", b"\x00\x01\x02 binary \xff\xfe", "DOCUMENT_CONTENT_MISMATCH"),
    ("leeg-bericht.eml", b"X-Nothing: 1\r\n\r\n", "DOCUMENT_CONTENT_MISMATCH"),
])
def test_refusals(name, data, code):
    with pytest.raises(CaseError) as exc:
        check_content(name, data)
    assert exc.value.code == code and name in exc.value.message


def test_office_file_of_the_other_kind_is_refused():
    with pytest.raises(CaseError) as exc:  # a workbook renamed to .docx
        check_content("nota.docx", ooxml_bytes("xlsx"))
    assert exc.value.code == "DOCUMENT_CONTENT_MISMATCH" and "wordprocessingml" in exc.value.message


def test_size_limit_is_configurable():
    data = pdf_bytes()
    with pytest.raises(CaseError) as exc:
        check_content("brief.pdf", data, max_bytes=len(data) - 1)
    assert exc.value.code == "DOCUMENT_TOO_LARGE"
    assert check_content("brief.pdf", data, max_bytes=len(data)).size == len(data)
    big = b"%PDF-1.7\n" + b"0" * (25 * 1024 * 1024) + b"\n%%EOF"
    with pytest.raises(CaseError) as exc:  # the default limit is 25 MB
        check_content("groot.pdf", big)
    assert exc.value.code == "DOCUMENT_TOO_LARGE"


def test_content_store_encrypts_per_client_and_detects_corruption(senv):
    cs = senv.docs
    plain = b"%PDF-1.7 Jan Jansen, geboren 1 januari 1970 %%EOF"
    sha = cs.put("PSN-client-0001", plain)
    assert sha == hashlib.sha256(plain).hexdigest()  # the id is the plaintext's SHA-256
    assert cs.put("PSN-client-0001", plain) == sha and cs.get("PSN-client-0001", sha) == plain
    key_id = cs.keys.key_id_of("PSN-client-0001")
    p = cs.path(key_id, sha)
    stored = p.read_bytes()
    assert b"Jansen" not in stored and plain not in stored and stored.startswith(b"BWE1")
    assert oct(p.stat().st_mode & 0o777) == "0o600" and oct(p.parent.stat().st_mode & 0o777) == "0o700"
    # the same bytes of another client: its own key, its own file, its own ciphertext
    assert cs.put("PSN-client-0002", plain) == sha
    other = cs.path(cs.keys.key_id_of("PSN-client-0002"), sha)
    assert other != p and other.read_bytes() != stored
    # a file moved to another client's name does not decrypt
    other.write_bytes(stored)
    with pytest.raises(CaseError) as exc:
        cs.get("PSN-client-0002", sha)
    assert exc.value.code == "DOCUMENT_CORRUPT"
    # another KEK cannot unwrap the data key
    from cases.client_keys import ClientKeys
    from cases.documents import ContentStore

    with pytest.raises(CaseError) as exc:
        ContentStore(senv.docs_dir, ClientKeys(senv.store, b"\x07" * 32)).get("PSN-client-0001", sha)
    assert exc.value.code == "CLIENT_ERASED" and "andere sleutel" in exc.value.message
    p.write_bytes(stored[:-1] + bytes([stored[-1] ^ 1]))
    with pytest.raises(CaseError) as exc:
        cs.get("PSN-client-0001", sha)
    assert exc.value.code == "DOCUMENT_CORRUPT"
    with pytest.raises(CaseError) as exc:
        cs.get("PSN-client-0001", "0" * 64)
    assert exc.value.code == "DOCUMENT_NOT_FOUND"


def test_content_store_adopts_a_plain_text_store_from_before_the_encryption(senv):
    cs = senv.docs
    plain = b"%PDF-1.7 oud %%EOF"
    sha = hashlib.sha256(plain).hexdigest()
    legacy = senv.docs_dir / sha[:2] / sha
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(plain)
    assert cs.get("PSN-client-0001", sha) == plain
    assert not legacy.exists()
    assert cs.path(cs.keys.key_id_of("PSN-client-0001"), sha).read_bytes().startswith(b"BWE1")
    assert cs.get("PSN-client-0001", sha) == plain


def test_documents_in_the_store(cenv):
    env = cenv
    r = env.determination()
    v = service.open_case(env.store, env.signer(CLAIMING), r.seq, question="Wie betaalt?")
    recs = []
    for i, (name, data, media) in enumerate(accepted()):
        recs.append(service.add_document(env.store, env.docs, v.case_id, filename=name, data=data, title=f"stuk {i}",
                                         author_party=CLAIMING if i % 2 else RESPONDING,
                                         document_date=date(2026, 11, 1 + i)))
    assert [d.number for d in recs] == list(range(1, len(recs) + 1))
    assert env.docs.get(v.client, recs[0].sha256) == accepted()[0][1]
    # a new version is a new document, the old one stays
    v2 = service.add_document(env.store, env.docs, v.case_id, filename="brief.pdf", data=pdf_bytes("versie 2"),
                              title="stuk 0, versie 2", author_party=RESPONDING, document_date=date(2026, 11, 20),
                              supersedes=recs[0].id)
    listed = service.list_documents(env.store, v.case_id)
    assert len(listed) == len(recs) + 1 and listed[-1].supersedes == recs[0].id
    assert listed[0].sha256 == recs[0].sha256 and v2.sha256 != recs[0].sha256
    # refused: nothing stored
    with pytest.raises(CaseError) as exc:
        service.add_document(env.store, env.docs, v.case_id, filename="x.exe", data=b"MZ", title="x",
                             author_party=CLAIMING, document_date=date(2026, 11, 1))
    assert exc.value.code == "DOCUMENT_TYPE_REFUSED"
    with pytest.raises(CaseError) as exc:
        service.add_document(env.store, env.docs, v.case_id, filename="brief.pdf", data=pdf_bytes(), title="x",
                             author_party="GM0200", document_date=date(2026, 11, 1))
    assert exc.value.code == "ACTOR_NOT_ALLOWED"
    for title, day in (("", date(2026, 11, 1)), ("toekomst", date(2099, 1, 1))):
        with pytest.raises(CaseError) as exc:
            service.add_document(env.store, env.docs, v.case_id, filename="brief.pdf", data=pdf_bytes(), title=title,
                                 author_party=CLAIMING, document_date=day)
        assert exc.value.code == "DOCUMENT_INVALID"
    assert len(service.list_documents(env.store, v.case_id)) == len(recs) + 1
    # the metadata rows are never overwritten (database triggers)
    for stmt in ("UPDATE case_documents SET title = 'x'", "DELETE FROM case_documents"):
        with pytest.raises(sa.exc.DBAPIError):
            with env.store.engine.begin() as c:
                c.exec_driver_sql(stmt)
    assert [d.title for d in service.list_documents(env.store, v.case_id)][0] == "stuk 0"
