"""Validate X12 text with pyx12 (the independent oracle) and collect its error messages."""

from __future__ import annotations

import io
import logging

import pyx12.params
import pyx12.x12n_document


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def validate_with_pyx12(text: str, *, with_ack: bool = True) -> tuple[bool, list[str]]:
    """Return (ok, messages) from pyx12's 5010 maps; messages are pyx12's logged warnings/errors.

    Pass ``with_ack=False`` for an 835 (pyx12 cannot build the 999 for a transaction without ST03).
    """
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), fd_997=io.StringIO() if with_ack else None,
            fd_html=None, fd_xmldoc=None, fd_json=None, map_path=None,
        )
    finally:
        logger.removeHandler(handler)
    return bool(ok), handler.messages
