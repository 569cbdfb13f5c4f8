"""Where a page links to: the one place of each link target (pages and templates call these).

A determination links to its ledger entry for now; when the trail store's page of a recorded
determination exists (GET /v1/beoordelingen/{digest}/spoor), `determination_href` is the one place to
point it there.
"""
from __future__ import annotations


def entry_href(seq: int) -> str:
    """A ledger entry's own page."""
    return f"/grootboek/{int(seq)}"


def determination_href(seq: int) -> str:
    """A recorded determination with its rule trail (by the determination's ledger seq)."""
    return entry_href(seq)


def case_href(case_id: str) -> str:
    return f"/geschillen/{case_id}"


def quarter_href(quarter: str, party: str) -> str:
    return f"/verrekening/{quarter}/{party}"


def chart_href(quarter: str, party: str) -> str:
    return f"{quarter_href(quarter, party)}/positie.svg"


def template_links() -> dict:
    return {"regel_href": entry_href, "beoordeling_href": determination_href, "geschil_href": case_href,
            "kwartaal_href": quarter_href, "grafiek_href": chart_href}
