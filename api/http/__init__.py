"""HTTP API and Dutch web pages (litestar). `create_app(settings)` is the entry point.

Imported lazily, so that the CLI can use `api.compose` without loading litestar."""
from __future__ import annotations


def create_app(settings=None):
    from api.http.app import create_app as _create_app

    return _create_app(settings)


__all__ = ["create_app"]
