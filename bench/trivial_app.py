"""The reference of bench/api_bench.py: a trivial Litestar endpoint, served by uvicorn as bwledger is.

    uvicorn --factory bench.trivial_app:create --workers N --host 127.0.0.1 --port P
"""
from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def trivial() -> dict[str, bool]:
    return {"ok": True}


def create() -> Litestar:
    return Litestar([trivial], openapi_config=None)
