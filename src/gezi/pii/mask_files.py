"""Masked copies of files (CSV/TSV, XLSX, XLS/XLSB as XLSX, JSON/JSONL, TXT/log, DOCX/ODT/ODS/ODP/PPTX).

The source is only read; the copy is written to a temporary file next to the output and renamed
into place when complete. In a column whose name says what it holds (電話, 身分證, name…) every
non-empty value is masked whole as that entity — even a value that does not validate, so no
original value survives; elsewhere the values found are masked where they stand. Text output is
UTF-8 (with a BOM when the source had one or was Big5/CP950, so Excel opens it).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from gezi.core.errors import GeziError
from gezi.core.fsnames import LONE_SURROGATE
from gezi.pii.analyzer import analyze_text, hits_per_segment
from gezi.pii.files import (
    HEADER_PREFIX_ROWS,
    RUNS_KEPT,
    TABLE_SUFFIXES,
    UNDECODABLE_LINES_SHOWN,
    XLSX_SUFFIXES,
    Undecodable,
    Unreadable,
    _cell_text,
    header_index,
    open_text,
    undecodable_bytes,
    undecodable_lines,
)
from gezi.pii.mask_documents import (
    DOCUMENT_SUFFIXES,
    SheetTexts,
    _guarded,
    embedded_not_checked,
    mask_docx,
    mask_odf,
    mask_pptx,
    mask_xlsx,
    xlsx_sheet_refs,
)
from gezi.pii.masking import mask_value
from gezi.pii.registry import get_registry

# Old Excel workbooks are read (python-calamine) but cannot be written: their masked copy is an XLSX.
OLD_SHEET_SUFFIXES = {".xls", ".xlsb"}
SUPPORTED = {".csv", ".tsv", ".tab", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".txt",
             ".log", ".text", *DOCUMENT_SUFFIXES, *OLD_SHEET_SUFFIXES}
_LINE_BATCH = 5000
_ROW_BATCH = 2000


class _Masker:
    """Masks values with one method and counts what it masked, per entity."""

    def __init__(self, method: str, key: bytes | None, fp: bool, entities: set[str] | None):
        self.method, self.key, self.fp, self.entities = method, key, fp, entities
        self.counts: Counter[str] = Counter()
        self.properties_cleared = 0  # author fields emptied in a document's properties
        self._registry = get_registry()

    def column_entity(self, column: str | None) -> str | None:
        """The entity a column name announces, if exactly one recognizer's hints match."""
        hinted = {self._registry.recognizers[i].entity
                  for i in self._registry.column_matches(column)}
        if self.entities is not None:
            hinted &= self.entities
        return hinted.pop() if len(hinted) == 1 else None

    def spans(self, text: str, column: str | None = None,
              hits: list[tuple[str, int, int, float, str]] | None = None) -> list[Span]:
        """What to replace in one value, as (start, end, replacement) in order: the whole value
        under a telling column, else each hit where it stands."""
        if hits is None:
            hits = analyze_text(text, self.entities, column)
        entity = self.column_entity(column)
        if entity and text.strip() and not (hits and any(h[0] != entity for h in hits)):
            self.counts[entity] += 1
            return [(0, len(text), mask_value(entity, text, self.method, self.key, self.fp))]
        out: list[Span] = []
        for hit_entity, start, end, _score, value in sorted(hits, key=lambda h: h[1]):
            self.counts[hit_entity] += 1
            if out and start < out[-1][1]:
                continue  # overlapping hits are masked once (resolve_overlaps leaves none)
            out.append((start, end, mask_value(hit_entity, value, self.method, self.key, self.fp)))
        return out

    def text(self, text: str, column: str | None = None,
             hits: list[tuple[str, int, int, float, str]] | None = None) -> str:
        """Mask one value: whole under a telling column, else the hits where they stand."""
        return apply_spans(text, self.spans(text, column, hits))


Span = tuple[int, int, str]  # (start, end, replacement) in a text


def apply_spans(text: str, spans: list[Span]) -> str:
    """``text`` with each span (in order, not overlapping) replaced."""
    if not spans:
        return text
    out, pos = [], 0
    for start, end, replacement in spans:
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _out_encoding(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8" else "utf-8-sig"


def _mask_lines(src: Path, out: IO[bytes], m: _Masker) -> None:
    stream, encoding = open_text(lambda: src.open("rb"))
    with stream:
        writer = open(out.fileno(), "w", encoding=_out_encoding(encoding), newline="",
                      closefd=False)
        batch: list[str] = []

        def flush() -> None:
            bodies = [line.rstrip("\r\n") for line in batch]
            for line, body, masked in zip(batch, bodies, _mask_grouped([(None, b) for b in bodies], m),
                                          strict=True):
                writer.write(masked + line[len(body):])
            batch.clear()

        for line in stream:
            batch.append(line)
            if len(batch) >= _LINE_BATCH:
                flush()
        flush()
        writer.flush()


def _mask_grouped(items: list[tuple[str | None, str]], m: _Masker) -> list[str]:
    """Each (column, text) masked as ``m.text(text, column)`` would mask it, in order; the
    texts that share a column name are analyzed together, _LINE_BATCH at a time."""
    return [apply_spans(text, spans) for (_, text), spans in zip(items, spans_grouped(items, m), strict=True)]


def spans_grouped(items: list[tuple[str | None, str]], m: _Masker) -> list[list[Span]]:
    """The spans ``m.spans(text, column)`` gives each (column, text), in order; the texts that
    share a column name are analyzed together (as the scanner does), _LINE_BATCH at a time."""
    hits: list[list] = [[] for _ in items]
    groups: dict[str | None, list[int]] = {}
    for n, (column, text) in enumerate(items):
        if text:  # an empty text has no hits
            groups.setdefault(column, []).append(n)
    for column, where in groups.items():
        for b in range(0, len(where), _LINE_BATCH):
            part = where[b:b + _LINE_BATCH]
            for n, found in zip(part, hits_per_segment([items[n][1] for n in part], m.entities, column),
                                strict=True):
                hits[n] = found
    return [m.spans(text, column, hits=hits[n]) for n, (column, text) in enumerate(items)]


def _mask_rows(rows: list[list[str]], header: list[str], m: _Masker) -> list[list[str]]:
    """Mask a batch of rows, the cells of a column analyzed together (as the scanner)."""
    where = [(r, i) for r, row in enumerate(rows) for i, cell in enumerate(row) if cell]
    items = [(header[i] if i < len(header) else None, rows[r][i]) for r, i in where]
    for (r, i), masked in zip(where, _mask_grouped(items, m), strict=True):
        rows[r][i] = masked
    return rows


def _mask_csv(src: Path, out: IO[bytes], m: _Masker, delimiter: str) -> None:
    stream, encoding = open_text(lambda: src.open("rb"))
    csv.field_size_limit(16 << 20)
    with stream:
        writer_fh = open(out.fileno(), "w", encoding=_out_encoding(encoding), newline="",
                         closefd=False)
        reader = csv.reader(stream, delimiter=delimiter)
        writer = csv.writer(writer_fh, delimiter=delimiter, lineterminator="\r\n")
        try:
            # The header as the scanner finds it; rows above it and the header's own cells are
            # masked with no column name. The data below is analyzed under the header as read
            # (as the scanner does), the output carries the masked header.
            prefix = list(itertools.islice(reader, HEADER_PREFIX_ROWS))
            at = header_index(prefix)
            header = [] if at is None else prefix[at]
            first = 0 if at is None else at + 1
            if first:
                writer.writerows(_mask_rows([list(row) for row in prefix[:first]], [], m))
            batch = prefix[first:]
            for row in reader:
                batch.append(row)
                if len(batch) >= _ROW_BATCH:
                    writer.writerows(_mask_rows(batch, header, m))
                    batch = []
        except csv.Error as exc:
            raise GeziError(f"CSV 格式錯誤 malformed CSV at line {reader.line_num}: {exc}") from None
        if batch:
            writer.writerows(_mask_rows(batch, header, m))
        writer_fh.flush()


def _mask_sheet(rows: Iterator[tuple[Any, list[Any]]], m: _Masker,
                prefix: list[list[Any]]) -> Iterator[tuple[Any, list[tuple[int, str]]]]:
    """The cells to change in a sheet's rows, given as (row, its values) pairs: each row with
    its [(column index, masked text)], _ROW_BATCH rows analyzed at a time. Strings and numbers
    (not booleans) are masked under the header ``header_index`` finds in ``prefix`` (the
    sheet's first rows' values); the header row and the rows above it have no column name."""
    at = header_index(prefix)
    header = [] if at is None else ["" if v is None else str(v) for v in prefix[at]]
    numbered = enumerate(rows)
    while batch := list(itertools.islice(numbered, _ROW_BATCH)):
        where, items = [], []
        for r, (_, values) in batch:
            for c, value in enumerate(values):
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    column = header[c] if at is not None and r > at and c < len(header) else None
                    where.append((r, c))
                    items.append((column, str(value)))
        changed: dict[int, list[tuple[int, str]]] = {}
        for (r, c), (_, text), masked in zip(where, items, _mask_grouped(items, m), strict=True):
            if masked != text:
                changed.setdefault(r, []).append((c, masked))
        for r, (row, _) in batch:
            yield row, changed.get(r, [])


def _mask_xlsx(src: Path, out: IO[bytes], m: _Masker, depth: int = 1) -> int:
    """The cells' values as openpyxl reads them (a formula as its text, a date as no text)
    masked under their header; the package is then written by ``mask_documents.mask_xlsx``,
    which puts the masked texts in those cells and masks what the cells do not show. openpyxl
    does not write the copy: it would drop threaded comments, shapes and charts, macros.
    A formula's references to sheets are not analyzed (sheet names are kept, see
    ``office.SheetRefs``: a masked reference would point nowhere). Returns how many sheet
    names hold personal data. ``depth``: how deep the workbook is embedded (1: a file of its own).

    The sheets are read as a stream (openpyxl's read-only mode), row batch by row batch: only
    the masked texts are kept, not the workbook's cells (on 4 sheets of 30 000 rows the reading's
    peak fell from 529 to 300 MB, the copies being the same bytes). The size a sheet declares
    (``<dimension>``) is not trusted: writers leave it stale, and rows past it would go unmasked."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(src, read_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise Unreadable(f"無法開啟 XLSX cannot open workbook ({type(exc).__name__})") from None
    refs = xlsx_sheet_refs(src)
    masked: SheetTexts = {}
    formulas: SheetTexts = {}
    same: dict[str, str] = {}  # a masked cell's value: its masked text (for the caches holding copies)

    def values(sheet: Any, texts: dict[str, str], hidden: dict[str, list[str]]) -> Iterator[tuple[Any, list[Any]]]:
        for row in sheet.iter_rows():
            out = []
            for cell in row:
                value = cell.value
                if cell.data_type == "f" and isinstance(value, str):
                    texts[cell.coordinate] = value  # a shared formula's cells, should its group be written out
                    value, names = refs.protect(value)
                    if names:  # the sheet names taken out of the formula's text
                        hidden[cell.coordinate] = names
                out.append(value)
            yield row, out

    try:
        with _guarded("XLSX"):  # a damaged sheet shows only once its rows are read
            for sheet in book.worksheets:
                sheet.reset_dimensions()
                prefix = [[c.value for c in row] for row in itertools.islice(sheet.iter_rows(), HEADER_PREFIX_ROWS)]
                texts = masked.setdefault(sheet.title, {})
                hidden: dict[str, list[str]] = {}
                for row, changed in _mask_sheet(values(sheet, formulas.setdefault(sheet.title, {}), hidden), m, prefix):
                    for c, text in changed:
                        cell = row[c]
                        texts[cell.coordinate] = refs.restore(text, hidden.pop(cell.coordinate, []))
                        if cell.data_type != "f":
                            same.setdefault(str(cell.value), text)
    finally:
        book.close()
    return mask_xlsx(src, out, m, masked, formulas, same, depth)


def _mask_old_sheets(src: Path, out: IO[bytes], m: _Masker) -> None:
    """An .xls or .xlsb workbook as an XLSX of the same sheets and cell values, masked as
    ``_mask_xlsx`` masks (python-calamine reads them, nothing writes them): formatting,
    formulas, merged cells and comments are not carried over."""
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    try:
        with src.open("rb") as fh:
            source = CalamineWorkbook.from_filelike(fh)
        sheets = [(name, source.get_sheet_by_name(name).to_python()) for name in source.sheet_names]
    except Exception as exc:  # calamine raises its own types for damaged or encrypted books
        raise Unreadable(f"無法開啟試算表 corrupt, encrypted or unsupported workbook "
                         f"({type(exc).__name__})") from None
    book = Workbook(write_only=True)
    for name, cells in sheets:
        sheet = book.create_sheet(name[:31])  # XLSX limits a sheet name to 31 characters
        rows = [[None if v == "" else _cell_text(v) for v in row] for row in cells]
        for row, changed in _mask_sheet(((row, row) for row in rows), m, rows[:HEADER_PREFIX_ROWS]):
            for c, masked in changed:
                row[c] = masked
            sheet.append(row)
    book.save(out)


def _json_texts(value: Any, key: str | None, out: list[tuple[str | None, str]]) -> None:
    """The strings and numbers (not booleans) of a parsed JSON value as text, each with its
    key (a list's items have the list's key), in document order."""
    if isinstance(value, dict):
        for k, v in value.items():
            _json_texts(v, k, out)
    elif isinstance(value, list):
        for v in value:
            _json_texts(v, key, out)
    elif isinstance(value, str):
        out.append((key, value))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append((key, str(value)))


def _json_masked(value: Any, masked: Iterator[str]) -> Any:
    """``value`` with its strings and numbers replaced, in document order, by ``masked``; a
    number is kept unless its masked text differs."""
    if isinstance(value, dict):
        return {k: _json_masked(v, masked) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_masked(v, masked) for v in value]
    if isinstance(value, str):
        return next(masked)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = next(masked)
        return value if text == str(value) else text
    return value


def _mask_json(src: Path, out: IO[bytes], m: _Masker, lines: bool) -> None:
    """Mask a JSON document, or JSON Lines _LINE_BATCH lines at a time; the values under one
    key are analyzed together. A line that is not JSON is masked as text, a blank one kept
    empty."""
    stream, _ = open_text(lambda: src.open("rb"))
    with stream:
        if not lines:
            try:
                doc = json.load(stream)
            except json.JSONDecodeError as exc:
                raise GeziError(f"JSON 格式錯誤 invalid JSON at line {exc.lineno}: {exc.msg}") from None
            items: list[tuple[str | None, str]] = []
            _json_texts(doc, None, items)
            masked = _json_masked(doc, iter(_mask_grouped(items, m)))
            out.write(_json_bytes(masked, indent=2) + b"\n")
            return
        while batch := list(itertools.islice(stream, _LINE_BATCH)):
            docs: list[tuple[bool, Any]] = []  # (parsed, the document or the line's text)
            items = []
            for line in batch:
                body = line.rstrip("\r\n")
                try:
                    doc = json.loads(body) if body.strip() else _NOT_JSON  # a blank line is text
                except json.JSONDecodeError:
                    doc = _NOT_JSON
                if doc is _NOT_JSON:
                    docs.append((False, body))
                    items.append((None, body))
                else:
                    docs.append((True, doc))
                    _json_texts(doc, None, items)
            texts = iter(_mask_grouped(items, m))
            for parsed, doc in docs:
                masked = (next(texts) if not parsed else
                          _json_bytes(_json_masked(doc, texts)).decode())
                out.write((masked + "\n").encode())


_NOT_JSON = object()  # a JSON Lines line that is masked as text (null is a document)


def _json_bytes(doc: Any, indent: int | None = None) -> bytes:
    """``doc`` as UTF-8 JSON. A lone surrogate (the source held a "\\ud800" escape) can only
    sit inside a string, where it is written back as that escape: the value is unchanged."""
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


# Formats whose masked copy is a ZIP package of the same kind as the source.
_CONTAINERS = frozenset({*XLSX_SUFFIXES, ".docx", ".pptx", ".odt", ".odp", ".ods"})


def mask_file(src: Path, dst: Path, method: str = "partial", key: bytes | None = None,
              format_preserving: bool = False, entities: set[str] | None = None,
              overwrite: bool = False) -> dict:
    """Write a masked copy of ``src`` to ``dst``; returns counts per entity."""
    if not src.is_file():
        raise GeziError(f"找不到輸入檔 input file not found: {src}")
    suffix = src.suffix.lower()
    if suffix not in SUPPORTED:
        raise GeziError(f"不支援的格式 unsupported format {suffix or '(none)'}; "
                        f"supported: {', '.join(sorted(SUPPORTED))}")
    if suffix in OLD_SHEET_SUFFIXES and dst.suffix.lower() != ".xlsx":
        raise GeziError(f"無法寫出 {suffix} 格式，請以 .xlsx 為輸出檔名 cannot write {suffix}: "
                        f"name the output .xlsx (values are kept, formatting is not)")
    if suffix in _CONTAINERS and dst.suffix.lower() != suffix:
        # The copy is written in the source's own format: another suffix would mislabel it.
        raise GeziError(f"輸出檔須與來源同為 {suffix} 格式 the output must be a {suffix} file too "
                        f"(got {dst.suffix or '(none)'})")
    if dst.exists() and dst.resolve() == src.resolve():
        raise GeziError("輸出不可覆寫來源 output would overwrite the source")
    if dst.exists() and not overwrite:
        raise GeziError(f"輸出檔已存在 output exists (use --force): {dst}")
    m = _Masker(method, key, format_preserving, entities)
    writers: dict[str, Callable[[IO[bytes]], None]] = {
        **{s: (lambda o, d=d: _mask_csv(src, o, m, d)) for s, d in TABLE_SUFFIXES.items()},
        **dict.fromkeys(XLSX_SUFFIXES, lambda o: extra.update(sheet_names_kept=_mask_xlsx(src, o, m))),
        ".json": lambda o: _mask_json(src, o, m, False),
        ".jsonl": lambda o: _mask_json(src, o, m, True),
        ".ndjson": lambda o: _mask_json(src, o, m, True),
        ".docx": lambda o: mask_docx(src, o, m), ".pptx": lambda o: mask_pptx(src, o, m),
        **dict.fromkeys((".odt", ".odp"), lambda o: mask_odf(src, o, m)),
        ".ods": lambda o: extra.update(cells_retyped=mask_odf(src, o, m)),
        **dict.fromkeys(OLD_SHEET_SUFFIXES, lambda o: _mask_old_sheets(src, o, m)),
    }
    extra: dict[str, Any] = {}  # what only some formats report
    write = writers.get(suffix, lambda o: _mask_lines(src, o, m))
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, undecodable_bytes() as bad, embedded_not_checked() as kept:
            write(out)
        os.replace(tmp, dst)
    except Unreadable as exc:
        raise GeziError(f"{src}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    result = {"input": str(src), "output": str(dst), "method": method,
              "format_preserving": format_preserving, "values_masked": sum(m.counts.values()),
              "by_entity": dict(sorted(m.counts.items()))}
    if suffix in DOCUMENT_SUFFIXES or suffix in XLSX_SUFFIXES:
        result["properties_cleared"] = m.properties_cleared
    result.update(extra)
    if suffix in OLD_SHEET_SUFFIXES:
        result["values_only"] = True  # XLS/XLSB → XLSX: formatting, formulas, merges not kept
    if bad:
        result.update(_undecodable_summary(src, bad[0]))
    if kept:  # embedded objects copied as they were (an OLE binary, an .xls in a .docx…)
        result["embedded_not_masked"] = kept
    return result


def _undecodable_summary(src: Path, bad: Undecodable) -> dict[str, Any]:
    """What the copy says of bytes of a text source its encoding could not decode: how many,
    the first one's offset and a sample of their line numbers — never the bytes, which may be
    personal data in another encoding. They are written as U+FFFD: copying them unread would
    put data the masking could not analyze into the masked copy."""
    lines = undecodable_lines(lambda: src.open("rb"), bad)
    return {"undecodable_bytes": bad.count, "first_undecodable_byte": bad.first,
            "undecodable_lines": lines[:UNDECODABLE_LINES_SHOWN],
            # the sample of runs is bounded (files.undecodable_bytes): more lines may hold some
            "undecodable_lines_more": len(lines) > UNDECODABLE_LINES_SHOWN or len(bad.runs) >= RUNS_KEPT,
            "undecodable_written_as": "U+FFFD"}
