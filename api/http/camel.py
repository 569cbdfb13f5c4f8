"""The one JSON serializer of the HTTP API: every member name of a /v1 answer in camelCase (NL API Design Rules,
"use camelCase for the names of properties"), applied where the answer is rendered, not per endpoint.

What keeps its form:
- the values: codes (`BOUNDARY_365`, `cost_line`, `GM0166`) stay as the ledger spells them;
- a member name that is itself a code of the glossary (an entry kind, a reconciliation outcome, ...: a table
  keyed by code, such as counts per outcome), for the same reason;
- the contents of a signed statement (`payload`), the exact JSON of a recorded determination (`beoordeling`,
  addressed by its digest) and the engine's determination itself (a `determination` that carries its `trail`
  and `input_digest`: its digest is the hash of exactly that JSON): what was signed or hashed is shown as it
  was signed or hashed;
- downloads (bytes) and answers that are not JSON.

`Json` is the app's response class (api/http/app.py), so a handler that returns a dict is rendered by it; a
handler that builds its own answer uses `Json` instead of Litestar's `Response`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from litestar import Response

from rules import glossary

#: members whose value is passed on as it is (signed or hashed content)
VERBATIM = frozenset({"payload", "beoordeling"})
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


@lru_cache(maxsize=1)
def _codes() -> frozenset[str]:
    return frozenset(code for section in glossary.sections().values() for code in section)


@lru_cache(maxsize=4096)
def camel_name(name: str) -> str:
    """`entry_hash` -> `entryHash`; a name that is no snake_case, or a glossary code, as it is."""
    if not _SNAKE.match(name) or name in _codes():
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def verbatim(name: Any, value: Any) -> bool:
    """Whether member `name` with `value` is signed or hashed content, passed on as it is."""
    return name in VERBATIM or (name == "determination" and isinstance(value, dict) and "trail" in value
                                and "input_digest" in value)


def camel(value: Any) -> Any:
    """`value` with the member names of every object in it in camelCase (see the module's text)."""
    if isinstance(value, dict):
        return {(camel_name(k) if isinstance(k, str) else k): (v if verbatim(k, v) else camel(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [camel(v) for v in value]
    return value


class Json(Response):
    """Litestar's Response, rendering a dict or list answer with camelCase member names."""

    def render(self, content: Any, media_type: str, enc_hook: Any = None) -> bytes:  # type: ignore[override]
        if isinstance(content, (dict, list)):
            content = camel(content)
        return super().render(content, media_type, enc_hook)


__all__ = ["Json", "VERBATIM", "camel", "camel_name", "verbatim"]
