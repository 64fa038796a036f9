"""Plain result types of a PII scan, shared by the scanners, the inventory and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import NamedTuple

from gezi.core.fsnames import printable


class PiiFinding(NamedTuple):
    """One personal-data value found in a file, a table cell or a database column.

    A named tuple: immutable, and created several times faster than a frozen dataclass
    (a scan creates one per value found).

    ``value`` is the raw value: mask it (``gezi.pii.masking``) before showing it anywhere.
    Text-like files: ``line`` is 1-based, ``start``/``end`` are 0-based code-point offsets in
    the decoded line (end exclusive). Tables: ``row`` (1-based, the header is row 1) and
    ``column`` (header name) locate the cell; ``start``/``end`` are offsets in the cell.
    """

    path: str
    entity: str
    score: float
    value: str
    start: int
    end: int
    line: int | None = None
    row: int | None = None
    column: str | None = None


@dataclass
class ScanReport:
    """Findings of a scan plus what was scanned and what was skipped (``{"path", "reason"}``)."""

    findings: list[PiiFinding] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: list[dict] = field(default_factory=list)
    bytes_scanned: int = 0


def _json_text(text: str | None) -> str:
    return "null" if text is None else encode_basestring(printable(text))


def _json_int(number: int | None) -> str:
    return "null" if number is None else str(number)


def finding_json(f: PiiFinding, value: str) -> str:
    """One finding in the documented JSON shape, with ``value`` as given (masked or not): the
    text ``json.dumps`` makes of the dict, written out directly (a log scan writes hundreds
    of thousands; json.dumps of a dict took ~4 µs each)."""
    return (f'{{"path": {_json_text(f.path)}, "line": {_json_int(f.line)}, "start": {f.start}, '
            f'"end": {f.end}, "row": {_json_int(f.row)}, "column": {_json_text(f.column)}, '
            f'"entity": {_json_text(f.entity)}, "score": {float(f.score)!r}, '
            f'"value": {_json_text(value)}}}')
