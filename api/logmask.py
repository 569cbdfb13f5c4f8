"""Logs mask BSN-like numbers (issue 12): a logging filter over `ledger.privacy.mask`.

A request path (`GET /v1/geschillen/123456782`), an error message or a traceback can carry a number that
passes the 11-proef; the filter replaces each such number by `*********` in the message, its string
arguments and its formatted traceback before any handler writes the record. `install()` puts it on
the loggers bwledger, the web framework and uvicorn log to (uvicorn's access log too) and on their
handlers, so also records from other loggers that reach those handlers are masked; the app installs it
when it starts and the CLI before any command runs."""
from __future__ import annotations

import logging

from ledger.privacy import mask

#: the loggers records come from: bwledger's own, litestar's, uvicorn's (errors and the access log), the root
LOGGERS = ("", "bwledger", "bwledger.http", "bwledger.http.timer", "litestar", "uvicorn", "uvicorn.error",
           "uvicorn.access")
_TRACEBACKS = logging.Formatter()


def _masked_arg(value):
    return mask(value) if isinstance(value, str) else value


class MaskFilter(logging.Filter):
    """Masks BSN-like numbers in a record, in place (so every handler after it sees the masked record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked_arg(v) for k, v in record.args.items()}
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # the handler reports a malformed record itself
            text = None
        if text is not None and mask(text) != text:  # a number in a non-text argument (an exception, an int)
            record.msg, record.args = mask(text), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def _add(target: logging.Filterer, flt: MaskFilter) -> None:
    if not any(isinstance(f, MaskFilter) for f in target.filters):
        target.addFilter(flt)


def install() -> MaskFilter:
    """Put the filter on LOGGERS and on each of their handlers (once; calling again adds the handlers
    configured since, such as uvicorn's), and on logging's last-resort handler (the CLI's warnings)."""
    flt = MaskFilter()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        _add(logger, flt)
        for handler in logger.handlers:
            _add(handler, flt)
    if logging.lastResort is not None:
        _add(logging.lastResort, flt)
    return flt
