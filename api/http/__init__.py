"""HTTP API and Dutch web pages (litestar). `create_app(settings)` is the entry point."""
from api.http.app import create_app

__all__ = ["create_app"]
