"""Pagination of the /v1 list endpoints: `?page=` (from 1) and `?pageSize=` (1..MAX_PAGE_SIZE, default
DEFAULT_PAGE_SIZE), the page's items in the body as before, and the way to the other pages in the `Link`
header (RFC 8288: rel first, prev, next, last; each the same request with another `page`) with the number
of items of all pages in `X-Total-Count`. A page past the last is an empty page, not an error."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.params import QueryParameter

from api.compose import RequestInvalid

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

PageNumber = Annotated[str | None, QueryParameter(name="page", description="het paginanummer, vanaf 1")]
PageSize = Annotated[str | None, QueryParameter(name="pageSize", description=f"het aantal per pagina, 1 tot en met "
                                                                             f"{MAX_PAGE_SIZE} (standaard "
                                                                             f"{DEFAULT_PAGE_SIZE})")]


def _number(raw: str | None, name: str, default: int, largest: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestInvalid(name, f"een geheel getal verwacht, niet {raw[:40]!r}") from None
    if value < 1 or (largest is not None and value > largest):
        bound = f"1 tot en met {largest}" if largest else "1 of meer"
        raise RequestInvalid(name, f"{bound} verwacht, niet {value}")
    return value


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Window:
    """The asked-for page as a slice of the whole list (for a list whose items are dear to make: cut first)."""
    number: int
    size: int

    @property
    def slice(self) -> slice:
        return slice((self.number - 1) * self.size, self.number * self.size)


def window_of(page: str | None, page_size: str | None) -> Window:
    """The page and page size asked for; 400 REQUEST_INVALID for one that is not a whole number in range."""
    return Window(_number(page, "page", 1), _number(page_size, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))


def page_headers(request: Request, window: Window, total: int) -> dict[str, str]:
    """The Link (first, prev, next, last) and X-Total-Count headers of `window` of a list of `total` items."""
    size, number = window.size, window.number
    last = max(1, -(-total // size))
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "pageSize")]

    def url(n: int) -> str:
        return request.url.path + "?" + urlencode([*query, ("page", str(n)), ("pageSize", str(size))])

    links = [(url(1), "first")]
    if 1 < number <= last + 1:
        links.append((url(min(number - 1, last)), "prev"))
    if number < last:
        links.append((url(number + 1), "next"))
    links.append((url(last), "last"))
    return {"Link": ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links), "X-Total-Count": str(total)}


def page_of(request: Request, items: Sequence[Any], page: str | None, page_size: str | None) -> Page:
    """The asked-for page of `items` with its Link and X-Total-Count headers; 400 REQUEST_INVALID for a
    page or pageSize that is not a whole number in range."""
    window = window_of(page, page_size)
    return Page(list(items[window.slice]), len(items), page_headers(request, window, len(items)))
