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
    """One unit a recognizer sees: a decoded text line, or a CSV cell with its header name."""

    file: str
    line: int | None
    row: int | None
    column: str | None
    text: str

    @property
    def where(self) -> tuple[str, int | None, int | None, str | None]:
        return (self.file, self.line, self.row, self.column)


def manifest(corpus: Path = CORPUS_DIR) -> list[dict]:
    """Files of the corpus with their kind (text | csv) and encoding."""
    return json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["files"]


def units(corpus: Path = CORPUS_DIR) -> Iterator[Unit]:
    """Every line of the text files and every non-empty cell of the CSV files, in file order."""
    for entry in manifest(corpus):
        text = (corpus / entry["file"]).read_bytes().decode(entry["encoding"])
        if entry["kind"] == "text":
            for n, line in enumerate(text.split("\n")[:-1], start=1):
                yield Unit(entry["file"], n, None, None, line)
            continue
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        for n, row in enumerate(reader, start=2):  # the header is row 1
            for col, cell in zip(header, row, strict=True):
                if cell:
                    yield Unit(entry["file"], None, n, col, cell)


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
