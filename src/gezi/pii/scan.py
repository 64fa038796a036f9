"""Scanning files and databases for personal data (implementation in progress)."""

from __future__ import annotations

from pathlib import Path

from gezi.pii.model import ScanReport


def scan_paths(paths: list[Path], entities: set[str] | None = None, workers: int | None = None,
               progress=None) -> ScanReport:
    """Scan files and directories; see gezi.pii.files for the formats."""
    raise NotImplementedError


def scan_database(url: str, sample: int = 1000, full: bool = False, entities=None) -> dict:
    """Classify the columns of every table of a SQLAlchemy database."""
    raise NotImplementedError
