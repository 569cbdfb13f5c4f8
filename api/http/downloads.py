"""A file answer with its name in `Content-Disposition` (RFC 6266), the one place that header is made.

The name may come from a case id or a party code: any character that is not a plain ASCII letter,
digit, `.`, `-` or `_` becomes `_` in the quoted `filename` fallback, and the exact name travels
percent-encoded in UTF-8 in `filename*` (RFC 5987/8187), so a quote, a backslash, a semicolon or a
line break can never end the header or start another one."""
from __future__ import annotations

import re
from urllib.parse import quote

from litestar import Response

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def content_disposition(name: str) -> str:
    fallback = _UNSAFE.sub("_", name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(raw: bytes, name: str, media: str) -> Response:
    return Response(raw, media_type=media, headers={"Content-Disposition": content_disposition(name)})
