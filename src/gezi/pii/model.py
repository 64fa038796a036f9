"""Plain result types of a PII scan, shared by the scanners, the inventory and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


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
