"""Read the committed evaluation corpus: text units (lines and CSV cells) and their gold spans."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Unit:
    """One unit a recognizer sees: a decoded text line, a table cell (row + column), or a JSON
    value (line + JSON path). ``hint`` is the name a scanner passes to the analyzer: the header,
    or the last key of the JSON path."""

    file: str
    line: int | None
    row: int | None
    column: str | None
    text: str
    hint: str | None = None

    @property
    def where(self) -> tuple[str, int | None, int | None, str | None]:
        return (self.file, self.line, self.row, self.column)


def manifest(corpus: Path = CORPUS_DIR) -> list[dict]:
    """Files of the corpus with their kind (text | csv) and encoding."""
    return json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["files"]


def units(corpus: Path = CORPUS_DIR) -> Iterator[Unit]:
    """Every line of the text files, every non-empty cell of the tables and every string or
    number of the JSON Lines, in file order."""
    for entry in manifest(corpus):
        name, path = entry["file"], corpus / entry["file"]
        if entry["kind"] == "xlsx":
            yield from _xlsx_units(name, path)
            continue
        text = path.read_bytes().decode(entry["encoding"])
        if entry["kind"] == "text":
            for n, line in enumerate(text.split("\n")[:-1], start=1):
                yield Unit(name, n, None, None, line)
        elif entry["kind"] == "jsonl":
            for n, line in enumerate(text.split("\n")[:-1], start=1):
                for json_path, value in _json_leaves(json.loads(line), "$"):
                    yield Unit(name, n, None, json_path, value, _last_key(json_path))
        else:
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader)
            for n, row in enumerate(reader, start=2):  # the header is row 1
                for col, cell in zip(header, row, strict=True):
                    if cell:
                        yield Unit(name, None, n, col, cell, col)


def _xlsx_units(name: str, path: Path) -> Iterator[Unit]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = [str(h) for h in next(rows)]
            for n, row in enumerate(rows, start=2):
                for col, cell in zip(header, row, strict=False):
                    if cell not in (None, ""):
                        yield Unit(name, None, n, f"{sheet.title}!{col}", str(cell), col)
    finally:
        book.close()


def _json_leaves(value, path: str) -> Iterator[tuple[str, str]]:
    """Strings and numbers of a JSON value with their paths ($.a.b, $.items[0].sku)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_leaves(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, str(value)


def _last_key(json_path: str) -> str:
    return json_path.rsplit(".", 1)[-1].split("[", 1)[0]


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def labels(corpus: Path = CORPUS_DIR) -> list[dict]:
    """Gold spans: file, line or row+column, start, end, entity, value."""
    return _jsonl(corpus / "labels.jsonl")


def decoys(corpus: Path = CORPUS_DIR) -> list[dict]:
    """Look-alikes that must not be reported: file, location, start, end, kind, value."""
    return _jsonl(corpus / "decoys.jsonl")


def where(span: dict) -> tuple[str, int | None, int | None, str | None]:
    """The unit a label or decoy belongs to."""
    return (span["file"], span.get("line"), span.get("row"), span.get("column"))
