"""The Haal Centraal BRP adapter: a ``verblijfplaatshistorie`` response as the address facts.

Input: the JSON answer of BRP historie bevragen v2 (``POST /verblijfplaatshistorie``, schema
``VerblijfplaatshistorieQueryResponse``): ``{"verblijfplaatsen": [...]}``, each period of type
``Adres``, ``Locatie``, ``VerblijfplaatsBuitenland`` or ``VerblijfplaatsOnbekend`` with
``datumVan`` / ``datumTot`` (``AbstractDatum``: ``Datum``, ``JaarMaandDatum``, ``JaarDatum``,
``DatumOnbekend``), ``gemeenteVanInschrijving`` and ``functieAdres`` (``Waardetabel``: ``code``),
``verblijftNietOpAdresVanaf`` and ``inOnderzoek``.

Output: the ``addresses`` of the fact model (``rules/facts.py``, as the casebook writes them) and a
Dutch report, one line per period, of what was read. The rules of spec 8.12:

- ``datumTot`` is the first day of the next period: the period's last day is ``datumTot - 1 day``;
- a partial date (``JaarMaandDatum``, ``JaarDatum``, ``DatumOnbekend``) becomes the incomplete
  date of the fact model (``"2019-05"``, ``"2019"``, ``"onbekend"``), so that the engine determines
  its earliest and latest reading and raises ``DATE_INCOMPLETE`` when they differ: never a guess;
- gemeentecode 1999 (RNI) is a period without a Dutch woonadres (``rni``), 0000 (onbekend) a period
  without a usable woonadres (``unknown``: the engine raises ``REGION_UNKNOWN`` where it decides);
  a ``VerblijfplaatsBuitenland`` otherwise is ``abroad``, a ``VerblijfplaatsOnbekend`` is ``vow``;
- ``verblijftNietOpAdresVanaf`` (and the older ``indicatieVastgesteldVerblijftNietOpAdres``) ends
  the address on the day before: what follows until the next period is no address at all.

The BSN never enters the facts: a ``burgerservicenummer`` member (as in a saved request) is dropped
and no value that looks like one is repeated in a message. Anything the adapter cannot map is a
``BrpError`` with a stable code, the place in the response and a Dutch message. Pure: no I/O.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import date_incomplete, day_range, glossary
from .dates import MONTHS_NL, dutch_date
from .facts import BRP_CODES, InstitutionType

if TYPE_CHECKING:
    from .municipalities import MunicipalityRegister

_DAY = timedelta(days=1)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GEMEENTECODE = re.compile(r"^\d{4}$")
_BSN_LIKE = re.compile(r"\d{9}")
#: the members of a response the adapter reads or knowingly leaves aside
_TOP_KEYS = {"verblijfplaatsen", "opschortingBijhouding", "geheimhoudingPersoonsgegevens", "burgerservicenummer",
             "type", "_links"}
_TYPES = {"Adres", "Locatie", "VerblijfplaatsBuitenland", "VerblijfplaatsOnbekend"}
#: opschortingBijhouding reasons after which the history cannot be used (F: fout, W: wissen)
_UNUSABLE = {"F": "fout", "W": "gewist"}


class BrpError(ValueError):
    """A BRP response the adapter cannot map. ``code`` is stable; ``where`` names the place in the
    response (``verblijfplaatsen[2].datumTot``); ``message`` is Dutch."""

    def __init__(self, code: str, where: str, message: str):
        super().__init__(f"{where}: {message}" if where else message)
        self.code, self.where, self.message = code, where, message

    def __reduce__(self):  # survives pickling to and from a worker process
        return (BrpError, (self.code, self.where, self.message))


@dataclass(frozen=True)
class BrpMapping:
    """The address facts read from one response and the Dutch report of how."""

    addresses: tuple[dict[str, Any], ...]
    report: tuple[str, ...]


def _shown(value: Any) -> str:
    """A value for a message: short, and never a BSN-like number."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = _BSN_LIKE.sub("…", text)
    return repr(text if len(text) <= 30 else text[:27] + "...")


def parse(text: str) -> Any:
    """The JSON text of a response (``BrpError`` BRP_NOT_JSON when it is none)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BrpError("BRP_NOT_JSON", "", f"het BRP-antwoord is geen JSON (regel {exc.lineno}, kolom {exc.colno})") \
            from None
    except (RecursionError, ValueError):
        raise BrpError("BRP_NOT_JSON", "", "het BRP-antwoord is geen bruikbare JSON (te diep genest of een te "
                                           "lang getal)") from None


# ------------------------------------------------------------------------------------------ dates
@dataclass(frozen=True)
class _Date:
    """One BRP date: a full ``day`` or the incomplete ``text`` (``"2019-05"``, ``"2019"``, ``"onbekend"``)."""

    day: date | None
    text: str | None
    kind: str

    @property
    def earliest(self) -> date:
        return self.day if self.day is not None else date_incomplete.bounds(self.text)[0]

    @property
    def latest(self) -> date:
        return self.day if self.day is not None else date_incomplete.bounds(self.text)[1]

    def nl(self) -> str:
        if self.day is not None:
            return dutch_date(self.day)
        if self.text == date_incomplete.UNKNOWN_TEXT:
            return "onbekende datum"
        year, _, month = self.text.partition("-")
        return f"{MONTHS_NL[int(month) - 1]} {year}" if month else f"het jaar {year}"


def _int(value: Any, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BrpError("BRP_DATE_INVALID", where, f"een geheel getal van {low} tot en met {high} verwacht, "
                                                  f"niet {_shown(value)}")
    return value


def _date(value: Any, where: str) -> _Date:
    """An ``AbstractDatum`` as a full or an incomplete date."""
    if not isinstance(value, dict):
        raise BrpError("BRP_DATE_INVALID", where, f"een datum-object met 'type' verwacht, niet {_shown(value)}")
    kind = value.get("type")
    if kind == "Datum":
        text = value.get("datum")
        if isinstance(text, date) and not isinstance(text, datetime):  # a TOML date, in the TOML form of `brp`
            text = text.isoformat()
        if not isinstance(text, str) or not _ISO.match(text):
            raise BrpError("BRP_DATE_INVALID", where + ".datum", f"een datum JJJJ-MM-DD verwacht, niet {_shown(text)}")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BrpError("BRP_DATE_INVALID", where + ".datum", f"geen bestaande datum: {_shown(text)}") from None
        reason = day_range.out_of_range(day)
        if reason:
            raise BrpError("BRP_DATE_INVALID", where + ".datum", reason)
        return _Date(day, None, kind)
    if kind == "JaarMaandDatum":
        year = _int(value.get("jaar"), where + ".jaar", day_range.FIRST_DAY.year, day_range.LAST_DAY.year)
        month = _int(value.get("maand"), where + ".maand", 1, 12)
        return _Date(None, f"{year:04d}-{month:02d}", kind)
    if kind == "JaarDatum":
        year = _int(value.get("jaar"), where + ".jaar", day_range.FIRST_DAY.year, day_range.LAST_DAY.year)
        return _Date(None, f"{year:04d}", kind)
    if kind == "DatumOnbekend":
        return _Date(None, date_incomplete.UNKNOWN_TEXT, kind)
    raise BrpError("BRP_DATE_INVALID", where + ".type", "een datumtype Datum, JaarMaandDatum, JaarDatum of "
                                                        f"DatumOnbekend verwacht, niet {_shown(kind)}")


def _before(d: _Date) -> tuple[Any, str]:
    """The last day of a period that ends where ``d`` (a datumTot or verblijftNietOpAdresVanaf) begins:
    the fact model's ``to`` and its Dutch text. An incomplete date stays incomplete (the day before
    an unknown day of that month or year is itself unknown: the engine reads both ends)."""
    if d.day is not None:
        last = d.day - _DAY
        return last, dutch_date(last)
    return d.text, (f"de dag voor een onbekende dag in {d.nl()}" if d.text != date_incomplete.UNKNOWN_TEXT
                    else "de dag voor een onbekende datum")


# ---------------------------------------------------------------------------------------- periods
def _code(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("code"), str):
        raise BrpError("BRP_MALFORMED", where, f"een waardetabel met 'code' verwacht, niet {_shown(value)}")
    return value["code"].strip()


def _in_onderzoek(value: Any) -> bool:
    return isinstance(value, dict) and any(v is True for v in value.values())


@dataclass
class _Period:
    index: int
    kind: str
    start: _Date
    end: _Date | None  # datumTot: the next period's first day
    gone: _Date | None  # verblijftNietOpAdresVanaf
    gemeente: str | None
    function: str | None
    in_onderzoek: bool
    gone_whole: bool  # indicatieVastgesteldVerblijftNietOpAdres: not at this address from datumVan


def _period(i: int, item: Any, register: MunicipalityRegister | None) -> _Period:
    where = f"verblijfplaatsen[{i}]"
    if not isinstance(item, dict):
        raise BrpError("BRP_MALFORMED", where, f"een verblijfplaats (object) verwacht, niet {_shown(item)}")
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise BrpError("BRP_TYPE_UNKNOWN", where + ".type", f"onbekend soort verblijfplaats {_shown(kind)}; bekend "
                                                            "zijn Adres, Locatie, VerblijfplaatsBuitenland en "
                                                            "VerblijfplaatsOnbekend")
    if "datumVan" not in item:
        raise BrpError("BRP_DATE_MISSING", where + ".datumVan", "de verblijfplaats heeft geen datumVan (een "
                                                                "onbekende datum is type DatumOnbekend)")
    start = _date(item["datumVan"], where + ".datumVan")
    end = _date(item["datumTot"], where + ".datumTot") if item.get("datumTot") is not None else None
    gone = (_date(item["verblijftNietOpAdresVanaf"], where + ".verblijftNietOpAdresVanaf")
            if item.get("verblijftNietOpAdresVanaf") is not None else None)
    gemeente = _code(item.get("gemeenteVanInschrijving"), where + ".gemeenteVanInschrijving")
    if gemeente is not None and not _GEMEENTECODE.match(gemeente):
        raise BrpError("BRP_GEMEENTE_INVALID", where + ".gemeenteVanInschrijving.code",
                       f"een gemeentecode van vier cijfers verwacht, niet {_shown(gemeente)}")
    function = None
    if kind in ("Adres", "Locatie"):
        if gemeente is None:
            raise BrpError("BRP_GEMEENTE_MISSING", where + ".gemeenteVanInschrijving",
                           f"een {kind.lower()} zonder gemeente van inschrijving: niet te bepalen waar de cliënt woonde")
        function = _code(item.get("functieAdres"), where + ".functieAdres")
        if gemeente not in BRP_CODES:
            if function not in glossary.section("address_function"):
                raise BrpError("BRP_FUNCTION_UNKNOWN", where + ".functieAdres.code",
                               f"functie adres W (woonadres) of B (briefadres) verwacht, niet {_shown(function)}")
            if register is not None and not register.known("GM" + gemeente):
                raise BrpError("BRP_GEMEENTE_UNKNOWN", where + ".gemeenteVanInschrijving.code",
                               f"gemeentecode {gemeente} is geen bekende gemeente (en niet 1999 RNI of 0000 onbekend)")
    elif gone is not None:
        raise BrpError("BRP_MALFORMED", where + ".verblijftNietOpAdresVanaf",
                       "alleen een adres of locatie kan verblijftNietOpAdresVanaf hebben")
    if end is not None and end.day is not None and start.day is not None and end.day < start.day:
        raise BrpError("BRP_DATES_ORDER", where + ".datumTot",
                       f"datumTot ({dutch_date(end.day)}) ligt voor datumVan ({dutch_date(start.day)})")
    return _Period(i, kind, start, end, gone, gemeente, function, _in_onderzoek(item.get("inOnderzoek")),
                   item.get("indicatieVastgesteldVerblijftNietOpAdres") is True)


def _what(p: _Period, institution: str | None) -> tuple[dict[str, Any], str]:
    """The fact fields of the period apart from its dates, and its Dutch name in the report."""
    if p.gemeente == "1999":
        return {"gemeente": "1999"}, "RNI (gemeentecode 1999, geen woonadres in Nederland)"
    if p.gemeente == "0000" and p.kind != "VerblijfplaatsOnbekend":
        return {"gemeente": "0000"}, "gemeente onbekend (gemeentecode 0000, geen bruikbaar woonadres)"
    if p.kind == "VerblijfplaatsBuitenland":
        return {"status": "abroad"}, "buitenland"
    if p.kind == "VerblijfplaatsOnbekend":
        return {"status": "vow"}, "vertrokken onbekend waarheen"
    fields: dict[str, Any] = {"gemeente": "GM" + p.gemeente, "function": p.function}
    name = f"{glossary.label('address_function', p.function)} GM{p.gemeente}"
    if p.kind == "Locatie":
        name += " (locatie)"
    if institution is not None:
        fields["institution"] = institution
        name += f" in instelling ({institution})"
    return fields, name


def _span(start: _Date, to: Any, to_nl: str | None, tot: _Date | None, why: str | None) -> str:
    """``van 1 maart 2020 t/m 14 juni 2023 (datumTot 15 juni 2023)``; incomplete dates say so."""
    word = "vanaf" if to_nl is None else "van"
    if start.day is not None:
        text = f"{word} {start.nl()}"
    else:
        text = (f"{word} een onbekende dag in {start.nl()}" if start.text != date_incomplete.UNKNOWN_TEXT
                else f"{word} een onbekende datum")
        text += f" (datumVan {start.kind}: het vroegste en het laatste begin worden beide bepaald)"
    if to_nl is None:
        return text + ", loopt nog (geen datumTot)"
    text += f" t/m {to_nl}"
    if why:
        return text + f" ({why})"
    if tot is not None:
        text += f" (datumTot {tot.nl()}" + ("" if tot.day is not None else f", {tot.kind}: dag onbekend") + ")"
    return text


def _institutions(given: Mapping[Any, Any] | None) -> dict[date, str]:
    out: dict[date, str] = {}
    kinds = {t.value for t in InstitutionType}
    for key, value in (given or {}).items():
        day = key if isinstance(key, date) and not isinstance(key, datetime) else None
        if isinstance(key, str) and _ISO.match(key):
            try:
                day = date.fromisoformat(key)
            except ValueError:
                day = None
        if day is None:
            raise BrpError("BRP_INSTITUTION_INVALID", "instellingen", f"een begindatum JJJJ-MM-DD verwacht, niet "
                                                                      f"{_shown(key)}")
        if not isinstance(value, str) or value not in kinds:
            raise BrpError("BRP_INSTITUTION_INVALID", f"instellingen.{day.isoformat()}",
                           f"onbekend soort instelling {_shown(value)}; bekend zijn "
                           + ", ".join(t.value for t in InstitutionType))
        out[day] = value
    return out


def map_history(response: Any, register: MunicipalityRegister | None = None,
                institutions: Mapping[Any, Any] | None = None) -> BrpMapping:
    """A ``verblijfplaatshistorie`` response (parsed JSON) as address facts and the Dutch report.

    ``register`` (optional) refuses municipality codes that do not exist with a Dutch message at the
    period (the fact model checks them again, with their dates). ``institutions`` marks the BRP
    periods that are the address of an institution (the BRP does not know it): period start
    (``date`` or ``"YYYY-MM-DD"``) -> institution type (``ggz_clinical``, ``mo``, ...); each must
    name the full ``datumVan`` of an address in the response."""
    if not isinstance(response, dict):
        raise BrpError("BRP_MALFORMED", "", "een BRP-antwoord is een JSON-object met 'verblijfplaatsen'")
    items = response.get("verblijfplaatsen")
    if not isinstance(items, list):
        raise BrpError("BRP_MALFORMED", "verblijfplaatsen", "het antwoord heeft geen lijst 'verblijfplaatsen' (is "
                                                            "dit een antwoord van BRP historie bevragen?)")
    if not items:
        raise BrpError("BRP_EMPTY", "verblijfplaatsen", "het antwoord bevat geen verblijfplaatsen: vraag de "
                                                        "historie op zonder peildatum of met een ruimere periode")
    report: list[str] = []
    suspended = response.get("opschortingBijhouding")
    if isinstance(suspended, dict):
        reason = _code(suspended.get("reden"), "opschortingBijhouding.reden")
        if reason in _UNUSABLE:
            raise BrpError("BRP_SUSPENDED", "opschortingBijhouding", f"de persoonslijst is opgeschort (reden "
                                                                     f"{reason}: {_UNUSABLE[reason]}); de historie "
                                                                     "is niet bruikbaar")
        report.append(f"let op: de bijhouding is opgeschort (reden {reason or 'onbekend'})")
    marks = _institutions(institutions)
    periods = sorted((_period(i, item, register) for i, item in enumerate(items)), key=lambda p: p.start.earliest)
    addresses: list[dict[str, Any]] = []
    used: set[date] = set()
    prev: _Period | None = None
    for p in periods:
        where = f"verblijfplaatsen[{p.index}]"
        if prev is not None and prev.end is None:
            raise BrpError("BRP_PERIODS_OVERLAP", where, f"de verblijfplaats vanaf {p.start.nl()} begint terwijl "
                                                         f"de vorige (vanaf {prev.start.nl()}) geen datumTot heeft")
        if prev is not None and p.start.latest < prev.end.earliest:  # (with incomplete dates: surely before)
            raise BrpError("BRP_PERIODS_OVERLAP", where, f"de verblijfplaats begint op {p.start.nl()}, voor het "
                                                         f"einde van de vorige (datumTot {prev.end.nl()})")
        prev = p
        institution = marks.get(p.start.day) if p.start.day is not None else None
        if institution is not None:
            if p.function != "W" or p.gemeente in BRP_CODES:
                raise BrpError("BRP_INSTITUTION_INVALID", f"instellingen.{p.start.day.isoformat()}",
                               "alleen een woonadres kan het adres van een instelling zijn")
            used.add(p.start.day)
        fields, name = _what(p, institution)
        if p.end is not None and p.end.day is not None and p.start.day == p.end.day:
            report.append(f"{name} op {p.start.nl()}: overgeslagen (datumTot is gelijk aan datumVan: geen dag)")
            continue
        if p.gone_whole:
            report.append(f"{name} vanaf {p.start.nl()}: geen adres (vastgesteld dat de cliënt hier niet verblijft)")
            continue
        to, to_nl, why = None, None, None
        if p.end is not None:
            to, to_nl = _before(p.end)
        if p.gone is not None:
            if p.gone.day is not None and p.start.day is not None and p.gone.day <= p.start.day:
                report.append(f"{name} vanaf {p.start.nl()}: geen adres (verblijftNietOpAdresVanaf "
                              f"{p.gone.nl()}, niet na datumVan)")
                continue
            if p.end is None or p.gone.day is None or p.end.day is None or p.gone.day < p.end.day:
                to, to_nl = _before(p.gone)
                why = f"verblijftNietOpAdresVanaf {p.gone.nl()}: daarna geen adres bekend"
        fact = {**fields, "from": p.start.day or p.start.text}
        if to is not None:
            fact["to"] = to
        if p.in_onderzoek:
            fact["in_onderzoek"] = True
        addresses.append(fact)
        line = f"{name} {_span(p.start, to, to_nl, p.end, why)}"
        report.append(line + (", in onderzoek" if p.in_onderzoek else ""))
    unused = sorted(set(marks) - used)
    if unused:
        raise BrpError("BRP_INSTITUTION_UNMATCHED", f"instellingen.{unused[0].isoformat()}",
                       f"geen woonadres in het BRP-antwoord begint op {dutch_date(unused[0])}")
    if "burgerservicenummer" in response:
        report.append("burgerservicenummer niet overgenomen: de feiten kennen alleen het pseudoniem")
    ignored = sorted(k for k in response if k not in _TOP_KEYS)
    if ignored:
        report.append("niet gebruikt: " + ", ".join(_shown(k) for k in ignored[:5]) + (" ..." if len(ignored) > 5
                                                                                       else ""))
    return BrpMapping(tuple(addresses), tuple(report))
