"""A case in the shapes of the ZGW APIs (Zaken, Documenten, Besluiten), with urn:uuid placeholders
for every URL (deterministic uuid5s, so the same case exports the same identifiers).

zaak; statussen (one per status transition); rollen (initiator, belanghebbende, beslisser);
enkelvoudiginformatieobjecten with integriteit {algoritme: sha_256}; zaakinformatieobjecten
(each with its informatieobject expanded under _expand); besluit (the decision in force, if any).
RSINs are not known to the ledger: bronorganisatie / verantwoordelijkeOrganisatie are null and
the statcodes are given under _bwledger.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from ledger.store import Store
from rules import glossary

from .service import case_view, list_documents
from .workflow import STATUS_NL

_NS = uuid.UUID("6f1c6c52-6a3c-5f4e-9a51-2d3e7d1f0b11")
OMSCHRIJVING_GENERIEK = {"claiming": "initiator", "responding": "belanghebbende", "committee": "beslisser"}
END_STATUSES = {"SETTLED", "WITHDRAWN", "INADMISSIBLE", "IMPLEMENTED", "CLOSED", "ACCEPTED"}


def _urn(*parts: object) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def zgw_case(store: Store, case_id: str) -> dict:
    v = case_view(store, case_id)
    zaak_url = _urn(case_id, "zaak")
    statussen, last = [], None
    for e in v.events:
        if e.action != "transition":
            continue
        last = {"url": _urn(case_id, "status", e.seq), "uuid": _urn(case_id, "status", e.seq)[9:], "zaak": zaak_url,
                "statustype": _urn("statustype", e.status), "datumStatusGezet": e.received_at.isoformat(),
                "statustoelichting": f"{e.status}: {STATUS_NL[e.status]}" + (f" - {e.note}" if e.note else ""),
                "_bwledger": {"status": e.status, "seq": e.seq, "entry_hash": e.entry_hash, "author": e.author,
                              "effective_date": e.effective_date.isoformat()}}
        statussen.append(last)
    rollen = []
    for role, party in (("claiming", v.parties.claiming), ("responding", v.parties.responding),
                        ("committee", v.parties.committee)):
        rollen.append({"url": _urn(case_id, "rol", role), "zaak": zaak_url,
                       "betrokkeneType": "organisatorische_eenheid", "roltype": _urn("roltype", role),
                       "omschrijving": role, "omschrijvingGeneriek": OMSCHRIJVING_GENERIEK[role],
                       "roltoelichting": glossary.label("case_role", role),
                       "betrokkeneIdentificatie": {"identificatie": party, "naam": party}})
    eios, zios = [], []
    for d in list_documents(store, case_id):
        eio = {"url": _urn(case_id, "eio", d.sha256), "identificatie": f"{case_id}-bijlage-{d.number}",
               "bronorganisatie": None, "creatiedatum": d.document_date.isoformat(), "titel": d.title,
               "auteur": d.author_party, "formaat": d.media_type, "taal": "nld", "bestandsnaam": d.filename,
               "bestandsomvang": d.size, "vertrouwelijkheidaanduiding": "vertrouwelijk",
               "informatieobjecttype": _urn("informatieobjecttype", "bijlage"),
               "integriteit": {"algoritme": "sha_256", "waarde": d.sha256, "datum": d.created_at.date().isoformat()},
               "versie": 1}
        eios.append(eio)
        zios.append({"url": _urn(case_id, "zio", d.id), "informatieobject": eio["url"], "zaak": zaak_url,
                     "titel": d.title, "beschrijving": f"Bijlage {d.number}", "registratiedatum": d.created_at.isoformat(),
                     "_expand": {"informatieobject": eio}})
    besluit = None
    if v.decision:
        dec = v.decision
        besluit = {"url": _urn(case_id, "besluit", dec["decided_on"], dec["nature"]),
                   "identificatie": f"{case_id}-{dec['nature']}", "verantwoordelijkeOrganisatie": None,
                   "besluittype": _urn("besluittype", dec["nature"]), "zaak": zaak_url, "datum": dec["decided_on"],
                   "toelichting": dec.get("summary", ""), "bestuursorgaan": "Geschillencommissie"
                   if dec["nature"] != "court_ruling" else "Rechtbank", "ingangsdatum": dec["decided_on"],
                   "_bwledger": {"cost_bearers": dec["cost_bearers"]}}
    nd = v.next_deadline
    zaak = {"url": zaak_url, "uuid": zaak_url[9:], "identificatie": case_id, "bronorganisatie": None,
            "omschrijving": f"Geschil woonplaatsbeginsel {case_id}", "toelichting": v.question,
            "zaaktype": _urn("zaaktype", "geschil-woonplaatsbeginsel-bw"),
            "registratiedatum": v.events[0].received_at.date().isoformat(), "verantwoordelijkeOrganisatie": None,
            "startdatum": v.events[0].effective_date.isoformat(),
            "einddatum": v.since.isoformat() if v.status in END_STATUSES else None,
            "uiterlijkeEinddatumAfdoening": nd.due.isoformat() if nd else None,
            "status": last["url"] if last else None,
            "kenmerken": [{"kenmerk": v.client, "bron": "bwledger cliëntpseudoniem"},
                          {"kenmerk": str(v.determination_seq), "bron": "bwledger seq beoordeling"}],
            "_bwledger": {"claiming": v.parties.claiming, "responding": v.parties.responding,
                          "status": v.status, "determination_hash": v.determination_hash}}
    return {"format": "bwledger-zgw/1", "zaak": zaak, "statussen": statussen, "rollen": rollen,
            "enkelvoudiginformatieobjecten": eios, "zaakinformatieobjecten": zios, "besluit": besluit}


def export_zgw(store: Store, case_id: str, out: Path) -> dict:
    doc = zgw_case(store, case_id)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return doc
