"""The Haal Centraal BRP adapter (rules/brp_historie.py): a verblijfplaatshistorie response as address facts."""
from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest

from rules import loader
from rules.brp_historie import BrpError, map_history, parse
from rules.casebook import Malformed, case_facts, load_context, read_case
from rules.engine import determine
from rules.facts import AddressStatus, CaseFacts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "brp"
BOOK = ROOT / "rules" / "casebook" / "p_brp_adapter.toml"
#: the periods each casebook case marks as an institution's address (the BRP does not say it)
INSTITUTIONS = {"A04": {"2025-10-01": "ggz_clinical"}}


def full(day: str) -> dict:
    return {"type": "Datum", "datum": day, "langFormaat": day}


def adres(code: str, van: dict, tot: dict | None = None, functie: str = "W", **extra) -> dict:
    item = {"type": "Adres", "datumVan": van, "gemeenteVanInschrijving": {"code": code, "omschrijving": "x"},
            "functieAdres": {"code": functie, "omschrijving": "woonadres" if functie == "W" else "briefadres"}}
    if tot is not None:
        item["datumTot"] = tot
    return {**item, **extra}


def history(*items: dict, **top) -> dict:
    return {"verblijfplaatsen": list(reversed(items)), **top}  # the BRP gives the latest period first


@pytest.fixture(scope="module")
def register():
    return loader.municipality_register()


def facts_of(mapping, melding: dict, register) -> CaseFacts:
    return CaseFacts.model_validate({"id": "T1", "melding": melding, "addresses": list(mapping.addresses)},
                                    context={"municipalities": register})


# ------------------------------------------------------------------------------------------ dates
def test_datum_tot_is_the_next_start_so_the_last_day_is_one_day_before(register):
    m = map_history(history(adres("0363", full("2020-03-01"), full("2023-06-15")), adres("0193", full("2023-06-15"))),
                    register)
    assert m.addresses == ({"gemeente": "GM0363", "function": "W", "from": date(2020, 3, 1), "to": date(2023, 6, 14)},
                           {"gemeente": "GM0193", "function": "W", "from": date(2023, 6, 15)})
    assert m.report[0] == "woonadres GM0363 van 1 maart 2020 t/m 14 juni 2023 (datumTot 15 juni 2023)"
    assert m.report[1] == "woonadres GM0193 vanaf 15 juni 2023, loopt nog (geen datumTot)"
    f = facts_of(m, {"date": "2023-06-14", "gemeente": "GM0193"}, register)
    assert [a.to for a in f.addresses] == [date(2023, 6, 14), None]


def test_a_briefadres_keeps_its_function(register):
    m = map_history(history(adres("0166", full("2021-01-01"), functie="B")), register)
    assert m.addresses[0]["function"] == "B" and m.report[0].startswith("briefadres GM0166 vanaf 1 januari 2021")


def test_jaar_maand_datum_stays_incomplete_and_the_engine_flags_date_incomplete(register):
    month = {"type": "JaarMaandDatum", "jaar": 2026, "maand": 2, "langFormaat": "februari 2026"}
    m = map_history(history(adres("0193", full("2015-01-01"), month), adres("0166", month)), register)
    assert [(a["from"], a.get("to")) for a in m.addresses] == [(date(2015, 1, 1), "2026-02"), ("2026-02", None)]
    assert "JaarMaandDatum: dag onbekend" in m.report[0] and "februari 2026" in m.report[1]
    f = facts_of(m, {"date": "2026-02-15", "gemeente": "GM0166"}, register)
    det = determine(f, loader.default_context())
    flag = det.flag("DATE_INCOMPLETE")
    assert det.cost_bearer == "GM0166" and flag is not None and det.provisional
    assert {a.cost_bearer for a in flag.alternatives} == {"GM0193"}


def test_jaar_datum_and_datum_onbekend_become_the_incomplete_forms(register):
    year = {"type": "JaarDatum", "jaar": 2011, "langFormaat": "2011"}
    unknown = {"type": "DatumOnbekend", "onbekend": True, "langFormaat": "onbekend"}
    m = map_history(history(adres("0193", unknown, year), adres("0166", year)), register)
    assert [(a["from"], a.get("to")) for a in m.addresses] == [("onbekend", "2011"), ("2011", None)]
    assert "van een onbekende datum (datumVan DatumOnbekend" in m.report[0]
    f = facts_of(m, {"date": "2026-03-02", "gemeente": "GM0166"}, register)
    assert f.addresses[0].from_partial == "onbekend" and f.addresses[1].from_partial == "2011"
    det = determine(f, loader.default_context())
    assert det.cost_bearer == "GM0166" and det.flag("DATE_INCOMPLETE") is None  # both readings: Kampen


# ---------------------------------------------------------------------------------- 1999 and 0000
def test_gemeentecode_1999_is_the_rni_and_0000_onbekend(register):
    rni = {"type": "VerblijfplaatsBuitenland", "datumVan": full("2018-01-01"), "datumTot": full("2025-10-01"),
           "gemeenteVanInschrijving": {"code": "1999", "omschrijving": "RNI"},
           "verblijfadres": {"land": {"code": "5010", "omschrijving": "België"}}}
    m = map_history(history(adres("0166", full("2010-01-01"), full("2018-01-01")), rni,
                            adres("0000", full("2025-10-01"))), register)
    assert m.addresses[1] == {"gemeente": "1999", "from": date(2018, 1, 1), "to": date(2025, 9, 30)}
    assert m.addresses[2] == {"gemeente": "0000", "from": date(2025, 10, 1)}
    assert m.report[1].startswith("RNI (gemeentecode 1999") and m.report[2].startswith("gemeente onbekend (gemeentecode 0000")
    f = facts_of(m, {"date": "2026-03-02", "gemeente": "GM0193"}, register)
    assert [a.status for a in f.addresses] == [None, AddressStatus.RNI, AddressStatus.UNKNOWN]
    det = determine(f, loader.default_context())
    assert det.cost_bearer is None and det.flag("REGION_UNKNOWN") is not None


def test_abroad_and_vertrokken_onbekend_waarheen(register):
    abroad = {"type": "VerblijfplaatsBuitenland", "datumVan": full("2020-01-01"), "datumTot": full("2022-01-01")}
    vow = {"type": "VerblijfplaatsOnbekend", "datumVan": full("2022-01-01"),
           "gemeenteVanInschrijving": {"code": "0166", "omschrijving": "Kampen"}}
    m = map_history(history(abroad, vow), register)
    assert [a["status"] for a in m.addresses] == ["abroad", "vow"]
    assert m.report[1] == "vertrokken onbekend waarheen vanaf 1 januari 2022, loopt nog (geen datumTot)"


# --------------------------------------------------------------------------- verblijft niet op adres
def test_verblijft_niet_op_adres_vanaf_ends_the_woonadres(register):
    gone = adres("0166", full("2018-05-01"), verblijftNietOpAdresVanaf=full("2025-11-01"))
    m = map_history(history(gone), register)
    assert m.addresses == ({"gemeente": "GM0166", "function": "W", "from": date(2018, 5, 1), "to": date(2025, 10, 31)},)
    assert "verblijftNietOpAdresVanaf 1 november 2025: daarna geen adres bekend" in m.report[0]
    det = determine(facts_of(m, {"date": "2026-02-09", "gemeente": "GM0193"}, register), loader.default_context())
    assert det.cost_bearer == "GM0193" and det.flag("NO_WOONADRES") is not None


def test_verblijft_niet_op_adres_before_the_next_period_leaves_a_gap(register):
    m = map_history(history(adres("0166", full("2018-05-01"), full("2025-12-01"),
                                  verblijftNietOpAdresVanaf=full("2025-11-01")),
                            adres("0193", full("2025-12-01"))), register)
    assert [(a["from"], a.get("to")) for a in m.addresses] == [(date(2018, 5, 1), date(2025, 10, 31)),
                                                              (date(2025, 12, 1), None)]
    later = map_history(history(adres("0166", full("2018-05-01"), full("2025-12-01"),
                                      verblijftNietOpAdresVanaf=full("2026-01-01"))), register)
    assert later.addresses[0]["to"] == date(2025, 11, 30)  # after datumTot: datumTot decides


def test_established_not_living_there_from_its_start_gives_no_address(register):
    m = map_history(history(adres("0166", full("2018-05-01"), full("2023-05-16")),
                            adres("0166", full("2023-05-16"), indicatieVastgesteldVerblijftNietOpAdres=True)),
                    register)
    assert len(m.addresses) == 1 and "vastgesteld dat de cliënt hier niet verblijft" in m.report[1]
    same = map_history(history(adres("0166", full("2018-05-01"), verblijftNietOpAdresVanaf=full("2018-05-01"))),
                       register)
    assert same.addresses == () and "geen adres" in same.report[0]


def test_in_onderzoek_is_kept(register):
    m = map_history(history(adres("0166", full("2018-05-01"), inOnderzoek={"gemeenteVanInschrijving": True})),
                    register)
    assert m.addresses[0]["in_onderzoek"] is True and m.report[0].endswith(", in onderzoek")


# ----------------------------------------------------------------------------------- the BSN
def test_the_bsn_is_not_kept(register):
    response = history(adres("0166", full("2018-05-01")), burgerservicenummer="999993653")
    m = map_history(response, register)
    assert "999993653" not in json.dumps(m.addresses, default=str) + "".join(m.report)
    assert any("burgerservicenummer niet overgenomen" in line for line in m.report)
    with pytest.raises(BrpError) as exc:
        map_history(history(adres("0166", {"type": "Datum", "datum": "999993653"})))
    assert "999993653" not in str(exc.value)


# ------------------------------------------------------------------------------ what it refuses
def _refused(response, code: str, where: str | None = None, register=None) -> BrpError:
    with pytest.raises(BrpError) as exc:
        map_history(response, register)
    assert exc.value.code == code, exc.value
    if where is not None:
        assert exc.value.where == where
    return exc.value


def test_a_malformed_response_is_a_clear_error(register):
    assert "JSON-object" in _refused([], "BRP_MALFORMED").message
    assert "verblijfplaatsen" in _refused({"personen": []}, "BRP_MALFORMED").message
    _refused({"verblijfplaatsen": []}, "BRP_EMPTY")
    _refused(history({"type": "Woonboot", "datumVan": full("2020-01-01")}), "BRP_TYPE_UNKNOWN",
             "verblijfplaatsen[0].type")
    _refused(history({"type": "Adres"}), "BRP_DATE_MISSING")
    _refused(history(adres("0166", {"type": "Datum", "datum": "01-05-2018"})), "BRP_DATE_INVALID",
             "verblijfplaatsen[0].datumVan.datum")
    _refused(history(adres("0166", {"type": "Datum", "datum": "2018-02-30"})), "BRP_DATE_INVALID")
    _refused(history(adres("0166", {"type": "JaarMaandDatum", "jaar": 2018, "maand": 13})), "BRP_DATE_INVALID",
             "verblijfplaatsen[0].datumVan.maand")
    _refused(history(adres("0166", {"type": "Dag"})), "BRP_DATE_INVALID")
    _refused(history(adres("0166", full("2018-05-01"), functie="X")), "BRP_FUNCTION_UNKNOWN")
    _refused(history({"type": "Adres", "datumVan": full("2018-05-01")}), "BRP_GEMEENTE_MISSING")
    _refused(history(adres("GM01", full("2018-05-01"))), "BRP_GEMEENTE_INVALID")
    _refused(history(adres("9999", full("2018-05-01"))), "BRP_GEMEENTE_UNKNOWN", register=register)
    _refused(history(adres("0166", full("2018-05-01"), full("2017-01-01"))), "BRP_DATES_ORDER")
    _refused(history(adres("0166", full("2018-05-01")), adres("0193", full("2019-01-01"))), "BRP_PERIODS_OVERLAP")
    _refused(history(adres("0166", full("2018-05-01"), full("2019-02-01")), adres("0193", full("2019-01-01"))),
             "BRP_PERIODS_OVERLAP")
    month = {"type": "JaarMaandDatum", "jaar": 2019, "maand": 2}
    _refused(history(adres("0166", full("2018-05-01"), month), adres("0193", full("2019-01-15"))),
             "BRP_PERIODS_OVERLAP", "verblijfplaatsen[0]")
    _refused(history(adres("0166", full("2018-05-01")), opschortingBijhouding={"reden": {"code": "F"}}),
             "BRP_SUSPENDED")
    with pytest.raises(BrpError) as exc:
        parse("{niet json")
    assert exc.value.code == "BRP_NOT_JSON" and "geen JSON" in exc.value.message


def test_institutions_name_a_woonadres_of_the_response(register):
    response = history(adres("0193", full("2025-10-01")))
    m = map_history(response, register, {"2025-10-01": "ggz_clinical"})
    assert m.addresses[0]["institution"] == "ggz_clinical"
    with pytest.raises(BrpError) as exc:
        map_history(response, register, {"2025-09-01": "ggz_clinical"})
    assert exc.value.code == "BRP_INSTITUTION_UNMATCHED"
    with pytest.raises(BrpError) as exc:
        map_history(response, register, {"2025-10-01": "kliniek"})
    assert exc.value.code == "BRP_INSTITUTION_INVALID"
    for odd in ({"2025-02-30": "mo"}, {"1-10-2025": "mo"}, {"2025-10-01": {"type": "mo"}}, {"2025-10-01": None}):
        with pytest.raises(BrpError) as exc:
            map_history(response, register, odd)
        assert exc.value.code == "BRP_INSTITUTION_INVALID"
    other = map_history(history(adres("0193", full("2025-10-01"), functie="B")), register, None)
    assert "institution" not in other.addresses[0]
    with pytest.raises(BrpError) as exc:  # a briefadres is no institution's address
        map_history(history(adres("0193", full("2025-10-01"), functie="B")), register, {"2025-10-01": "mo"})
    assert exc.value.code == "BRP_INSTITUTION_INVALID"


# --------------------------------------------------------------------- the casebook and the intake
def _book() -> dict:
    return tomllib.loads(BOOK.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case_id", [c["id"] for c in _book()["case"]])
def test_the_casebook_cases_are_the_mapping_of_their_brp_fixture(case_id, register):
    raw = _book()
    case = next(c for c in raw["case"] if c["id"] == case_id)
    response = json.loads((FIXTURES / f"{case_id}.json").read_text(encoding="utf-8"))
    mapping = map_history(response, register, INSTITUTIONS.get(case_id))
    assert list(mapping.addresses) == case["addresses"]
    ctx = load_context(raw, loader.parameter_table(), register, BOOK.name)
    expected = determine(case_facts(case, register), ctx)
    # the same case through the intake: the casebook facts without addresses, plus the BRP response
    fragment = {"context": {"t0": "2026-01-01", "regions": {"ijssel-vecht": {
        **raw["context"]["regions"]["ijssel-vecht"]}}},
        "case": {k: v for k, v in case.items() if k not in ("addresses", "expect", "title")},
        "brp": response, "brp_institutions": INSTITUTIONS.get(case_id, {})}
    facts, ctx2, got = read_case(json.dumps(fragment, default=str), "json", None, loader.parameter_table(), register,
                                 loader.default_context())
    assert got.report == mapping.report
    assert determine(facts, ctx2).digest == expected.digest


def test_a_case_with_its_own_addresses_and_a_brp_response_is_refused(register):
    text = ('[[case]]\nid = "X1"\nmelding = { date = 2026-03-02, gemeente = "GM0166" }\n'
            'addresses = [ { gemeente = "GM0166", function = "W", from = 2019-05-01 } ]\n')
    response = json.loads((FIXTURES / "A01.json").read_text(encoding="utf-8"))
    with pytest.raises(Malformed, match="laat 'addresses' weg"):
        read_case(text, "toml", None, loader.parameter_table(), register, loader.default_context(), brp=response)


#: values a hostile or broken response may put anywhere
ODD = [None, True, 0, -1, 13, 2026, "", "x", "2026-02-30", "2026-02", "1999", "0000", "9999", "999993653", [], {},
       {"type": "Datum"}, {"type": "Datum", "datum": "2026-01-01"}, {"type": "JaarMaandDatum", "jaar": 2026, "maand": 1},
       {"type": "JaarDatum", "jaar": 1}, {"type": "DatumOnbekend"}, {"code": "W"}, {"code": "1999"}, {"code": "0363"},
       "Adres", "VerblijfplaatsOnbekend", {"type": "Datum", "datum": "9999-12-31"}]


def _places(o, at=()):
    yield at
    items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
    for k, v in items:
        yield from _places(v, (*at, k))


def test_a_damaged_response_is_refused_by_code_never_a_crash(register):
    import copy
    import random

    rnd, fixtures = random.Random(20261204), [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
    facts = '[[case]]\nid = "F1"\nmelding = { date = 2026-03-02, gemeente = "GM0193" }\n'
    outcomes = {"mapped": 0, "refused": 0}
    for _ in range(600):
        response = copy.deepcopy(rnd.choice(fixtures))
        for _ in range(rnd.randint(1, 3)):
            at = rnd.choice([p for p in _places(response) if p])
            target = response
            for k in at[:-1]:
                target = target[k]
            target[at[-1]] = copy.deepcopy(rnd.choice(ODD))
        try:
            f, ctx, _ = read_case(facts, "toml", None, loader.parameter_table(), register, loader.default_context(),
                                  brp=response)
            determine(f, ctx)
            outcomes["mapped"] += 1
        except (BrpError, Malformed) as exc:
            assert "999993653" not in str(exc)
            outcomes["refused"] += 1
    assert outcomes["mapped"] > 20 and outcomes["refused"] > 200, outcomes
