"""Dated facts about one client, as frozen typed models.

The facts are what a municipality knows on the day it decides: the melding, the BRP address
history, intramural stays, earlier BW episodes, earlier meldingen and aanvragen, and the placement
that follows the melding. Validation needs the municipality register (codes with their validity
dates), passed as pydantic validation context under the key ``"municipalities"``; without it, codes
are only checked for their form.

Conventions (spec C1): calendar dates, closed intervals, ``to`` is the last day the state held and
``None`` means still ongoing.
"""
from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from . import date_incomplete, day_range

_STATCODE = re.compile(r"^(?:GM)?(\d{4})$")


class InstitutionType(StrEnum):
    GGZ_CLINICAL = "ggz_clinical"
    WLZ = "wlz"
    DETENTION = "detention"
    MO = "mo"
    WOMENS_SHELTER = "womens_shelter"
    YOUTH_RESIDENTIAL = "youth_residential"
    BW = "bw"


class AddressFunction(StrEnum):
    WOONADRES = "W"
    BRIEFADRES = "B"


class AddressStatus(StrEnum):
    ABROAD = "abroad"
    VOW = "vow"  # vertrokken onbekend waarheen
    RNI = "rni"
    UNREGISTERED = "unregistered"
    UNKNOWN = "unknown"  # BRP gemeentecode 0000, "onbekend" (spec 8.12)


#: BRP gemeentecodes that name no municipality (spec 8.12), and the status an address period with
#: one of them is read as: 1999 is the RNI (registered as a non-resident: no Dutch woonadres, as
#: ``rni``), 0000 is "onbekend" (no usable woonadres; the engine raises REGION_UNKNOWN where it
#: decides). Neither is refused as malformed in an address history; anywhere else they are no
#: municipality code.
BRP_CODES = {"1999": AddressStatus.RNI, "0000": AddressStatus.UNKNOWN}


class Budget(StrEnum):
    HISTORICAL = "historical"
    WOONPLAATS = "woonplaats"


class Product(StrEnum):
    INTRAMURAL = "intramural"
    AMBULANT = "ambulant"


class ApplicationKind(StrEnum):
    AANVRAAG = "aanvraag"
    MELDING = "melding"


class Outcome(StrEnum):
    GRANTED = "granted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


def normalise_statcode(value: Any) -> Any:
    """``"0166"`` and ``"GM0166"`` both become ``"GM0166"``; anything else is left for the error."""
    if isinstance(value, str):
        m = _STATCODE.match(value.strip().upper())
        if m:
            return "GM" + m.group(1)
    return value


def _strict_date(value: Any) -> Any:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string; refuse datetimes and other forms."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a calendar date: {value!r}") from exc
    else:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    reason = day_range.out_of_range(day)
    if reason:
        raise ValueError(reason)
    return day


StatCode = Annotated[str, BeforeValidator(normalise_statcode), Field(pattern=r"^GM\d{4}$")]
Day = Annotated[date, BeforeValidator(_strict_date)]


class _Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _registry(info: ValidationInfo):
    ctx = info.context
    return ctx.get("municipalities") if isinstance(ctx, dict) else None


def _check_code_on(info: ValidationInfo, code: str | None, start: date, end: date | None, what: str) -> None:
    reg = _registry(info)
    if reg is None or code is None:
        return
    if brp_code_of(code) is not None:
        raise ValueError(f"{what}: {code[2:]} is a BRP gemeentecode for no municipality "
                         f"({'RNI' if code.endswith('1999') else 'onbekend'}, spec 8.12); only an address period "
                         "may carry it")
    if not reg.known(code):
        raise ValueError(f"{what}: unknown municipality code {code}")
    if not reg.overlaps(code, start, end):
        span = f"on {start}" if end == start else f"from {start} to {end or 'now'}"
        raise ValueError(f"{what}: municipality code {code} did not exist {span} ({reg.describe(code)})")


class _Period(_Fact):
    from_: Day = Field(alias="from")
    to: Day | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    def covers(self, d: date) -> bool:
        return self.from_ <= d and (self.to is None or d <= self.to)


class Melding(_Fact):
    date: Day
    gemeente: StatCode
    aanvraag_date: Day | None = None

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo):
        _check_code_on(info, self.gemeente, self.date, self.date, "melding.gemeente")
        if self.aanvraag_date is not None and self.aanvraag_date < self.date:
            raise ValueError("melding.aanvraag_date is before the melding date")
        return self


class Person(_Fact):
    birth_date: Day | None = None


def brp_code_of(value: Any) -> str | None:
    """``"1999"`` or ``"0000"`` when ``value`` is one of the BRP codes of spec 8.12 (bare or ``GM``)."""
    code = normalise_statcode(value)
    return code[2:] if isinstance(code, str) and code[2:] in BRP_CODES and code.startswith("GM") else None


class Address(_Period):
    """A BRP address period. ``gemeente = "1999"`` (RNI) or ``"0000"`` (onbekend) is read as the
    status period ``rni`` or ``unknown``, the code kept in ``brp_code`` (spec 8.12). An incomplete
    ``from`` or ``to`` (``"2019"``, ``"2019-05"``, ``"onbekend"``) is held at its earliest day, the
    text kept in ``from_partial`` / ``to_partial`` (``rules/date_incomplete.py``)."""

    gemeente: StatCode | None = None
    function: AddressFunction | None = None
    status: AddressStatus | None = None
    institution: InstitutionType | None = None
    in_onderzoek: bool = False
    recorded: Day | None = None  # the BRP mutation date, when known (R3.4, RETRO_BRP)
    brp_code: str | None = None  # "1999" | "0000": the BRP gemeentecode the status was read from
    from_partial: str | None = None  # the incomplete BRP date ``from_`` is the earliest reading of
    to_partial: str | None = None  # the same for ``to``

    @model_validator(mode="before")
    @classmethod
    def _brp_forms(cls, data: Any) -> Any:
        """The BRP's own forms: gemeentecode 1999/0000 as a status, an incomplete date at its earliest day."""
        if not isinstance(data, dict):
            return data
        given = data.get("gemeente")
        code = brp_code_of(given) if isinstance(given, str) and given[-4:] in BRP_CODES else None
        if code is not None:
            if data.get("status") is not None or data.get("institution") is not None:
                raise ValueError(f"BRP gemeentecode {code} names no municipality: no 'status' or 'institution' with it")
            data = {k: v for k, v in data.items() if k not in ("gemeente", "function")}
            data["status"], data["brp_code"] = BRP_CODES[code].value, code
        for name, key in (("from", "from"), ("from", "from_"), ("to", "to"), ("to", "to_")):
            if date_incomplete.is_partial(data.get(key)):
                data = dict(data)
                data[name + "_partial"] = data[key]
                data[key] = date_incomplete.bounds(data[key])[0]
        return data

    @model_validator(mode="after")
    def _brp_consistent(self):
        if self.brp_code is not None and BRP_CODES.get(self.brp_code) is not self.status:
            raise ValueError(f"brp_code {self.brp_code!r} is read as status "
                             f"{BRP_CODES[self.brp_code].value if self.brp_code in BRP_CODES else '?'}, "
                             f"not {self.status.value if self.status else 'none'}")
        for text, day, name in ((self.from_partial, self.from_, "from"), (self.to_partial, self.to, "to")):
            if text is None:
                continue
            low, high = date_incomplete.bounds(text)
            if day is None or not low <= day <= high:
                raise ValueError(f"'{name}' ({day}) does not lie within its incomplete date {text!r}")
        return self

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo):
        if self.status is not None:
            if self.gemeente is not None or self.function is not None or self.institution is not None:
                raise ValueError("an address has either 'status' or 'gemeente' and 'function', not both")
        else:
            if self.gemeente is None or self.function is None:
                raise ValueError("an address needs 'gemeente' and 'function' (or a 'status')")
            if self.institution is not None and self.function != AddressFunction.WOONADRES:
                raise ValueError("'institution' is only allowed with function 'W'")
            _check_code_on(info, self.gemeente, self.from_, self.to, "address.gemeente")
        return self

    @property
    def is_woonadres(self) -> bool:
        return self.function is AddressFunction.WOONADRES

    @property
    def is_briefadres(self) -> bool:
        return self.function is AddressFunction.BRIEFADRES


class Stay(_Period):
    type: InstitutionType
    gemeente: StatCode

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo):
        _check_code_on(info, self.gemeente, self.from_, self.to, "stay.gemeente")
        return self


class Episode(_Period):
    legal_college: StatCode
    cost_bearer: StatCode
    location: StatCode
    budget: Budget
    mandator: StatCode | None = None
    product: Product = Product.INTRAMURAL
    agreed_transfer: bool = False

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo):
        for name in ("legal_college", "cost_bearer", "location", "mandator"):
            _check_code_on(info, getattr(self, name), self.from_, self.to, f"bw_episode.{name}")
        return self


class Application(_Fact):
    kind: ApplicationKind
    gemeente: StatCode
    date: Day
    outcome: Outcome

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo):
        _check_code_on(info, self.gemeente, self.date, self.date, "application.gemeente")
        return self


class Placement(_Fact):
    location: StatCode
    fronting: StatCode
    from_: Day = Field(alias="from")

    @model_validator(mode="after")
    def _codes(self, info: ValidationInfo):
        for name in ("location", "fronting"):
            _check_code_on(info, getattr(self, name), self.from_, self.from_, f"placement.{name}")
        return self


class CaseFacts(_Fact):
    """Everything the engine reads about one case. ``id`` is a case reference, never a BSN."""

    id: str = Field(min_length=1, max_length=200)
    melding: Melding
    person: Person | None = None
    addresses: tuple[Address, ...] = ()
    stays: tuple[Stay, ...] = ()
    bw_episodes: tuple[Episode, ...] = ()
    applications: tuple[Application, ...] = ()
    eligibility_open: bool = False
    placement: Placement | None = None

    @model_validator(mode="before")
    @classmethod
    def _incomplete_dates(cls, data: Any) -> Any:
        """Incomplete BRP dates at their earliest day, inside the history (``date_incomplete.earliest``)."""
        if isinstance(data, dict) and isinstance(data.get("addresses"), (list, tuple)):
            read = date_incomplete.earliest(data["addresses"])
            if read is not None:
                data = {**data, "addresses": read}
        return data

    @field_validator("id")
    @classmethod
    def _no_bsn(cls, v: str) -> str:
        if re.fullmatch(r"\d{9}", v):
            raise ValueError("a case id of nine digits looks like a BSN; use a pseudonym")
        return v

    @model_validator(mode="after")
    def _no_overlap(self):
        periods = sorted(self.addresses, key=lambda a: a.from_)
        for prev, nxt in zip(periods, periods[1:]):
            if prev.to is None or nxt.from_ <= prev.to:
                raise ValueError(
                    f"addresses: periods overlap ({prev.from_}..{prev.to or 'open'} and "
                    f"{nxt.from_}..{nxt.to or 'open'})"
                )
        return self

