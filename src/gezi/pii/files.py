"""Readers of the file formats a PII scan understands, as streams of text segments.

Every reader yields batches of ``Segment``s: lines of text-like files (``line`` set), cells of a
table (``row`` and ``column`` set) or string values of JSON (``column`` = the JSON path, ``line``
for JSON Lines). Readers stream, so memory stays bounded on huge files. A file that cannot be
read raises ``Unreadable`` with the reason; the scanner reports it and goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, AnyStr, NamedTuple

from charset_normalizer import from_bytes

BATCH_CHARS = 1 << 20  # characters analyzed per pass
MAX_LINE_CHARS = 1 << 20  # a longer line is read in pieces (memory stays bounded)
MAX_JSON_BYTES = 64 << 20  # a larger .json is scanned line by line instead of parsed whole
TABLE_BATCH_ROWS = 2000
SAMPLE_BYTES = 1 << 16
TEXT_SUFFIXES = {".txt", ".log", ".md", ".text", ".out", ".err", ".sql", ".xml", ".html", ".htm",
                 ".yaml", ".yml", ".ini", ".conf", ".cfg"}
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# Older and other spreadsheet formats, read with python-calamine: Excel 97–2003 (.xls) is still
# common for member lists and reports in Taiwanese offices; .xlsb and OpenDocument (.ods).
SHEET_SUFFIXES = {".xls", ".xlsb", ".ods"}
DOCX_SUFFIXES = {".docx"}
PDF_SUFFIXES = {".pdf"}
ZIP_SUFFIXES = {".zip"}


class Unreadable(Exception):
    """The file cannot be scanned; the message is the reason shown to the user."""


class Segment(NamedTuple):
    """One piece of text and where it sits (a named tuple: cheap to create)."""

    text: str
    line: int | None = None
    row: int | None = None
    column: str | None = None
    offset: int = 0  # where ``text`` starts inside its (first) line (pieces of a very long line)
    # True: ``text`` is whole lines joined by line breaks, the first one numbered ``line``.
    lines: bool = False


Batch = tuple[str | None, list[Segment]]  # (column name shared by the batch, segments)
Opener = Callable[[], IO[bytes]]
Reader = Callable[[Opener], Iterator[Batch]]  # a file's batches, as every read_* gives them


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else charset-normalizer (Big5 → CP950)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise Unreadable("二進位檔 binary content")
    if found := _utf8_or_cp950(sample):
        return found
    best = from_bytes(sample).best()
    if best is None:
        raise Unreadable("無法判斷編碼 undecodable bytes (encoding not recognized)")
    enc = best.encoding.lower().replace("_", "")
    # CP950 is Microsoft's superset of Big5 that Taiwanese Excel writes.
    return "cp950" if enc in {"big5", "big5hkscs", "cp950"} else best.encoding


def _utf8_or_cp950(sample: bytes) -> str | None:
    """UTF-8, else CP950 (Big5 as Taiwanese Excel writes it), if the sample decodes in one:
    decoded incrementally, so a character cut at the end of the sample is no error."""
    for encoding in ("utf-8", "cp950"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            pass
    return None


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ASCII = re.compile(rb"[\x00-\x7f]")
# Past an ASCII sample, where the first non-ASCII byte is looked for: the file's first
# _HEAD_SEARCH_BYTES, then _PROBES blocks spread over the rest (bounded work on a huge log).
_HEAD_SEARCH_BYTES = 8 << 20
_PROBES = 32
_BLOCK_BYTES = 1 << 20


def _char_start(block: bytes, after_ascii: bool) -> int | None:
    """Where in ``block`` the first non-ASCII character starts, if any. A block taken from the
    middle of a file may start inside a character, so its first non-ASCII byte counts only after
    an ASCII byte: that ends a character in UTF-8 and in Big5 (whose trail bytes may be ASCII,
    but then the next byte starts a character), so the next non-ASCII byte starts one."""
    skip = 0
    if not after_ascii:  # the byte before the block may be a character's first
        if (ascii_byte := _ASCII.search(block)) is None:
            return None
        skip = ascii_byte.start()
    found = _NON_ASCII.search(block, skip)
    return None if found is None else found.start()


def _non_ascii_window(fh: IO[bytes], head: int) -> bytes | None:
    """SAMPLE_BYTES of ``fh`` from its first non-ASCII character found: in the first ``head``
    bytes, read in blocks, else in _PROBES blocks spread over the rest; None if none is found."""
    size = fh.seek(0, io.SEEK_END)
    # (offset, bytes read, whether every byte before the block is ASCII)
    blocks = [(pos, min(_BLOCK_BYTES, head - pos), True) for pos in range(0, min(size, head), _BLOCK_BYTES)]
    if size > head:
        step = max(SAMPLE_BYTES, (size - head) // _PROBES)
        blocks += [(pos, SAMPLE_BYTES, False) for pos in range(head, size, step)]
    for pos, length, after_ascii in blocks:
        fh.seek(pos)
        block = fh.read(length)
        if not block.isascii() and (at := _char_start(block, after_ascii)) is not None:
            fh.seek(pos + at)
            return fh.read(SAMPLE_BYTES)
    return None


def stream_encoding(fh: IO[bytes], head: int = _HEAD_SEARCH_BYTES) -> str:
    """The encoding of a seekable file, as ``detect_encoding`` decides it from the first 64 KiB.

    When those are ASCII they say nothing (ASCII is valid UTF-8 and CP950 alike): a log or a
    list whose first rows are e-mail addresses may hold Big5 names further on. The 64 KiB from
    the first non-ASCII character then decide (looked for in the first ``head`` bytes, then in
    blocks spread over the file). A sample that is valid UTF-8 is UTF-8, whatever comes later:
    CP950 reads nearly any byte pair, so falling back to it would turn a UTF-8 file with one
    bad byte into nonsense without an error. Leaves ``fh`` at its start.
    """
    fh.seek(0)
    sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if sample.isascii() and len(sample) == SAMPLE_BYTES:
        if (window := _non_ascii_window(fh, head)) is not None:
            # Only UTF-8 or CP950 here: a guess from a few odd bytes past an ASCII start is no
            # evidence; UTF-8 (what the ASCII said) then counts the bytes it cannot decode.
            encoding = _utf8_or_cp950(window) or "utf-8"
    fh.seek(0)
    return encoding


def whole_file_encoding(raw: bytes) -> str:
    """The encoding of a file held whole in memory (``stream_encoding``, searching all of it
    for the first non-ASCII character: it is in memory already)."""
    return stream_encoding(io.BytesIO(raw), head=len(raw))


# Undecodable bytes of streams from open_text become U+FFFD and are counted, per stream, by the
# error handler below; `undecodable_bytes` collects the streams of one file's reading.
_REPLACE_COUNTED = "gezi.replace-counted"
_local = threading.local()


RUNS_KEPT = 64  # where bytes could not be decoded: the first runs of them, a sample to show


class _CountedBytes(io.BufferedIOBase):
    """The file's bytes handed to a TextIOWrapper, with the count of the bytes its decoder
    could not decode and the offsets where the first runs of them start (set by
    ``_replace_counted``)."""

    def __init__(self, fh: IO[bytes], encoding: str) -> None:
        super().__init__()
        self._fh = fh
        self.encoding = encoding  # what the bytes are decoded as (to find their lines again)
        self.pos = 0  # bytes handed out so far
        self.undecodable = 0
        self.runs: list[int] = []
        self._run_end = -1  # where the last undecodable byte ended: one run goes on from there
        if (streams := getattr(_local, "streams", None)) is not None:
            streams.append(self)

    def readable(self) -> bool:
        return True

    def _took(self, data: bytes) -> bytes:
        # The wrapper decodes what it read before reading again, in this thread: an error the
        # decoder meets now belongs to this stream.
        self.pos += len(data)
        _local.current = self
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._took(self._fh.read(size))

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._fh, "read1", self._fh.read)
        return self._took(read1(size))

    def close(self) -> None:
        self._fh.close()
        super().close()


def _replace_counted(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    stream = getattr(_local, "current", None)
    if isinstance(stream, _CountedBytes):
        stream.undecodable += exc.end - exc.start
        # The decoder's input is its held bytes and the last read, which ends at ``pos``.
        start = max(0, stream.pos - len(exc.object) + exc.start)
        if start != stream._run_end and len(stream.runs) < RUNS_KEPT:
            stream.runs.append(start)
        stream._run_end = start + exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error(_REPLACE_COUNTED, _replace_counted)


class Undecodable(NamedTuple):
    """Bytes of a file that its encoding could not decode (read as U+FFFD)."""

    count: int
    first: int | None  # byte offset of the first, from the start of what was read
    runs: tuple[int, ...] = ()  # byte offsets where the first runs of them start (a sample)
    encoding: str = "utf-8"  # the encoding that could not decode them


UNDECODABLE_LINES_SHOWN = 10  # line numbers of undecodable bytes given, a sample


@contextmanager
def _collected(name: str) -> Iterator[list[Any]]:
    """A new list as this thread's ``name`` (where readers put what they report) for the
    block; the one before is put back after it."""
    outer = getattr(_local, name, None)
    setattr(_local, name, found := [])
    try:
        yield found
    finally:
        setattr(_local, name, outer)


@contextmanager
def undecodable_bytes() -> Iterator[list[Undecodable]]:
    """Collect, in this thread, what the text streams opened meanwhile (open_text) could not
    decode: after the block, the list holds one ``Undecodable`` when any byte was replaced."""
    found: list[Undecodable] = []
    outer = getattr(_local, "streams", None)
    streams: list[_CountedBytes] = []
    try:
        with _collected("streams") as streams:
            yield found
    finally:
        if outer is not None:
            outer.extend(streams)  # a nested collection is seen by the outer one too
        count = sum(s.undecodable for s in streams)
        if count:
            runs = sorted({run for s in streams for run in s.runs})[:RUNS_KEPT]
            encoding = next(s.encoding for s in streams if runs[0] in s.runs)
            found.append(Undecodable(count, runs[0], tuple(runs), encoding))


def lines_at(opener: Opener, encoding: str, offsets: Iterable[int]) -> list[int]:
    """The 1-based line numbers (as universal newlines count lines) at the given byte offsets
    of a file, each once, in order: where undecodable bytes sit, for the user to look. The
    file is read up to the last offset only."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    numbers: list[int] = []
    line, pos, after_cr = 1, 0, False
    with opener() as fh:
        for target in sorted(set(offsets)):
            while pos < target and (block := fh.read(min(1 << 20, target - pos))):
                pos += len(block)
                text = decoder.decode(block)
                line += line_breaks(text, after_cr)
                after_cr = text.endswith("\r") if text else after_cr
            if not numbers or numbers[-1] != line:
                numbers.append(line)
    return numbers


def line_breaks(chunk: AnyStr, after_cr: bool) -> int:
    """Line breaks in a chunk of text or bytes read after another (``after_cr``: that one ended
    in a carriage return): \r\n, a lone \r and a lone \n each end a line, as universal
    newlines count them; a \r\n cut between the two chunks is counted with the first."""
    cr, lf = ("\r", "\n") if isinstance(chunk, str) else (b"\r", b"\n")
    count = chunk.count(lf) + chunk.count(cr) - chunk.count(cr + lf)  # type: ignore[arg-type]
    return count - 1 if after_cr and chunk.startswith(lf) else count  # type: ignore[arg-type]


def undecodable_note(path: str, bad: Undecodable, lines: list[int] | None = None) -> dict[str, Any]:
    """How a scan reports a file some bytes of which were read as U+FFFD: listed with the
    skipped files (``scanned`` true: the rest of it was scanned), with the count, the byte
    offset of the first and (``lines``) the line numbers of the first ones, so the user can
    look at the file (or convert it) and scan it again."""
    note = {"path": path, "reason": f"{bad.count} 個位元組無法解碼，以 U+FFFD 讀取（第一個在第 "
                                    f"{bad.first} 位元組），其餘照常掃描 {bad.count} undecodable "
                                    f"bytes read as U+FFFD (first at byte {bad.first}); the rest "
                                    "was scanned",
            "scanned": True, "undecodable_bytes": bad.count, "first_undecodable_byte": bad.first}
    if lines:
        note["undecodable_lines"] = lines[:UNDECODABLE_LINES_SHOWN]
    return note


def undecodable_lines(opener: Opener, bad: Undecodable) -> list[int]:
    """The line numbers where the first runs of undecodable bytes sit (``lines_at``)."""
    return lines_at(opener, bad.encoding, bad.runs)


@contextmanager
def reading_notes() -> Iterator[list[dict[str, Any]]]:
    """Collect, in this thread, what the readers say of a file they read only in part (a PDF's
    scanned pages): after the block, the list holds one dict per note (``reason`` and counts)."""
    with _collected("notes") as found:
        yield found


def note(reason: str, **counts: int) -> None:
    """Say, for the file being read, what of it was not read (see reading_notes); the reason
    is shown to the user and holds no content of the file."""
    if (found := getattr(_local, "notes", None)) is not None:
        found.append({"reason": reason, **counts})


def open_text(opener: Opener, encoding: str | None = None) -> tuple[IO[str], str]:
    """A decoding text stream over the file, and the encoding used (detected unless given).

    Bytes the encoding cannot decode are read as U+FFFD and counted (see undecodable_bytes):
    a file whose sample is UTF-8 is read as UTF-8 to its end, never re-guessed.
    """
    fh = opener()
    if encoding is None:
        encoding = stream_encoding(fh)
    return io.TextIOWrapper(_CountedBytes(fh, encoding), encoding=encoding, errors=_REPLACE_COUNTED,
                            newline=""), encoding


def read_text(opener: Opener, encoding: str | None = None) -> Iterator[Batch]:
    """A text file in blocks of whole lines, about BATCH_CHARS each: one Segment per block with
    ``lines`` set, ``line`` the number of its first line (1-based). Line breaks (\\r\\n, \\r,
    \\n, as Python's universal newlines) become \\n. Reading blocks, not lines, keeps the cost
    per line near zero (logs have millions of short lines).

    A line longer than MAX_LINE_CHARS comes in pieces with their offset in the line; a value
    cut by a piece boundary is not found (such lines are minified data, rarely prose).
    ``encoding``: the file's, when the text is a part of it (see gezi.pii.scan).
    """
    stream, _ = open_text(opener, encoding)
    with stream:
        number, offset, carry = 1, 0, ""
        while chunk := stream.read(BATCH_CHARS):
            text = carry + chunk
            held = ""
            if text.endswith("\r"):  # perhaps half of a \r\n: decide with the next chunk
                text, held = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            cut = text.rfind("\n")
            if cut < 0:
                carry = text + held
                while len(carry) > MAX_LINE_CHARS:
                    yield None, [Segment(carry[:MAX_LINE_CHARS], line=number, offset=offset, lines=True)]
                    carry, offset = carry[MAX_LINE_CHARS:], offset + MAX_LINE_CHARS
                continue
            block, carry = text[:cut], text[cut + 1 :] + held
            yield None, [Segment(block, line=number, offset=offset, lines=True)]
            number, offset = number + block.count("\n") + 1, 0
        carry = carry.removesuffix("\r")  # the file's last line break
        if carry:
            yield None, [Segment(carry, line=number, offset=offset, lines=True)]


def line_segments(seg: Segment) -> Iterator[Segment]:
    """The lines of a block of lines (read_text), each a Segment of its own."""
    if not seg.lines:
        yield seg
        return
    for k, line in enumerate(seg.text.split("\n")):
        yield Segment(line, line=seg.line + k, offset=seg.offset if k == 0 else 0)


def _header_names(row: list[Any]) -> list[str]:
    names = []
    for i, cell in enumerate(row):
        name = "" if cell is None else str(cell).strip()
        names.append(name or f"#{i + 1}")
    return names


_TITLE_ROWS = 5  # one-cell rows (a title, a date line) looked past for the header
HEADER_PREFIX_ROWS = 64  # rows read ahead to find the header
# A lone cell that is a column name (電話, 身分證字號, Email) is short and has no sentence
# punctuation and no run of digits of an identifier, a phone or a date.
_NAME_MAX_CHARS = 20
_NOT_A_NAME = re.compile(r"[。，！？；,!?;]|\d{4,}")


def _filled(row: list[Any]) -> int:
    return sum(1 for cell in row if cell is not None and cell != "")


def _names_a_column(cell: Any) -> bool:
    """Whether the lone cell of a one-column table's first row reads as a column name rather
    than data: at most _NAME_MAX_CHARS characters, no sentence punctuation (。，！？), no run of
    four digits or more, and no personal data found in it."""
    text = str(cell).strip()
    if len(text) > _NAME_MAX_CHARS or _NOT_A_NAME.search(text):
        return False
    from gezi.pii.analyzer import analyze_text  # here: reading a file needs no recognizers

    return not analyze_text(text)


def header_index(prefix: list[list[Any]]) -> int | None:
    """Index in ``prefix`` (a table's first rows) of its header row; None if it has none (all
    blank, or one column whose first row is data).

    Office lists often start with blank rows and a title (113年度會員名單, 製表日期…) above the
    header; the column names matter (a 統一編號 column makes a bare number a UBN), so the header
    is the first row with two or more cells filled, looking past up to _TITLE_ROWS rows of one
    cell. In a table whose rows all have one cell the first row is the header only when it
    reads as a column name (_names_a_column): a sentence with 電話 in it is data, to be scanned,
    not a name that makes the column a phone column."""
    single: list[int] = []
    for k, row in enumerate(prefix):
        filled = _filled(row)
        if filled >= 2:
            return k
        if filled:
            single.append(k)
            if len(single) > _TITLE_ROWS:
                break
    if not single:
        return None
    if all(_filled(row) <= 1 for row in prefix):  # one column (so far as the prefix shows)
        cell = next(c for c in prefix[single[0]] if c is not None and c != "")
        if not _names_a_column(cell):
            return None
    return single[0]


def table_batches(rows: Iterator[list[Any]]) -> Iterator[Batch]:
    """Cells grouped by column, TABLE_BATCH_ROWS rows at a time, under the header found by
    header_index (without one, every row is data); the rows above it are cells with no column
    name, and so are the header's own cells (``column`` = the name the cell gives its column).
    ``row`` is the row's number in the file or sheet (1-based)."""
    rows = iter(rows)
    prefix = list(itertools.islice(rows, HEADER_PREFIX_ROWS))
    at = header_index(prefix)
    header = [] if at is None else _header_names(prefix[at])
    first = 0 if at is None else at + 1
    above = [Segment(str(cell), row=k + 1, column=header[i] if k == at else f"#{i + 1}")
             for k, row in enumerate(prefix[:first]) for i, cell in enumerate(row)
             if cell is not None and cell != ""]
    # Title rows and the header are no values of a column, so no column name is a hint for
    # them; yet people sit there too (a sales matrix headed 月份 | 王小明 | 陳怡君).
    if above:
        yield None, above
    columns: dict[int, list[Segment]] = {}
    count = 0
    for number, row in enumerate(itertools.chain(prefix[first:], rows), start=first + 1):
        for i, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            name = header[i] if i < len(header) else f"#{i + 1}"
            columns.setdefault(i, []).append(Segment(str(cell), row=number, column=name))
        count += 1
        if count >= TABLE_BATCH_ROWS:
            for segs in columns.values():
                yield segs[0].column, segs
            columns, count = {}, 0
    for segs in columns.values():
        yield segs[0].column, segs


def read_csv(opener: Opener, delimiter: str) -> Iterator[Batch]:
    """CSV/TSV cells; encoding detected (UTF-8, UTF-8 with BOM, Big5/CP950)."""
    stream, _ = open_text(opener)
    csv.field_size_limit(16 << 20)
    with stream:
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            yield from table_batches(reader)
        except csv.Error as exc:
            raise Unreadable(f"CSV 格式錯誤 malformed CSV at line {reader.line_num}: {exc}") from None


def read_xlsx(opener: Opener) -> Iterator[Batch]:
    """Cells of every sheet (the column is ``sheet!header``), then what the cells do not show:
    comments, headers and footers, link targets, lists of allowed values, defined names,
    properties — each sheet parsed once (``gezi.pii.office.read_xlsx_book``)."""
    from gezi.pii.office import read_xlsx_book  # office builds on this module's Segment

    yield from read_xlsx_book(opener)


def _cell_text(cell: Any) -> Any:
    """A calamine cell as the scanner reads it: whole numbers without ``.0`` (Excel stores
    every number as a float, so a phone typed as a number arrives as 912345678.0)."""
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


def read_sheets(opener: Opener) -> Iterator[Batch]:
    """Cells of every sheet of an .xls, .xlsb or .ods workbook; the column is ``sheet!header``."""
    from python_calamine import CalamineWorkbook

    try:
        with opener() as fh:
            book = CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own types for damaged or encrypted books
        raise Unreadable(f"無法開啟試算表 corrupt, encrypted or unsupported workbook "
                         f"({type(exc).__name__})") from None
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).iter_rows()
        for column, segs in table_batches([_cell_text(c) for c in row] for row in rows):
            yield column, [Segment(s.text, row=s.row, column=f"{name}!{s.column}") for s in segs]


def read_ods(opener: Opener) -> Iterator[Batch]:
    """An .ods: its cells as ``read_sheets`` reads them, then what the masking also masks
    besides the cells (annotations, shapes, page headers and footers, lists of allowed values,
    formulas, link targets, properties; see ``gezi.pii.office.read_ods_parts``)."""
    from gezi.pii.office import read_ods_parts  # office builds on this module's Segment

    yield from read_sheets(opener)
    yield from read_ods_parts(opener)


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, str(value)


def _key_of(path: str) -> str:
    """The last key of a JSON path ($.customer.phone → phone), used as the column hint."""
    tail = path.rsplit(".", 1)[-1]
    return tail.split("[", 1)[0] or tail


def read_json(opener: Opener) -> Iterator[Batch]:
    """String and number values of a JSON document; the column is the JSON path.

    A document over MAX_JSON_BYTES is scanned as text lines instead (parsing it would need
    memory several times its size).
    """
    fh = opener()
    size = fh.seek(0, io.SEEK_END)
    fh.close()
    if size > MAX_JSON_BYTES:
        yield from read_text(opener)
        return
    stream, _ = open_text(opener)
    with stream:
        try:
            doc = json.load(stream)
        except json.JSONDecodeError as exc:
            raise Unreadable(f"JSON 格式錯誤 invalid JSON at line {exc.lineno}: {exc.msg}") from None
    for path, text in _json_strings(doc, "$"):
        yield _key_of(path), [Segment(text, column=path)]


def read_jsonl(opener: Opener) -> Iterator[Batch]:
    """JSON Lines: values per line (``line`` set); bad lines are kept as plain text."""
    for _, blocks in read_text(opener):
        for seg in (line for block in blocks for line in line_segments(block)):
            if not seg.text.strip():
                continue
            try:
                doc = json.loads(seg.text)
            except json.JSONDecodeError:
                yield None, [seg]
                continue
            for path, text in _json_strings(doc, "$"):
                yield _key_of(path), [Segment(text, line=seg.line, column=path)]


def read_docx(opener: Opener) -> Iterator[Batch]:
    """Paragraphs (``line`` = paragraph number: the body's, then text boxes', headers' and
    footers', footnotes', endnotes', comments', and the text of tracked deletions), table cells
    (rows under their header, nested tables too) and the authors of changes and comments; see
    ``gezi.pii.office.docx_units``."""
    import zipfile

    import docx

    from gezi.pii.office import read_docx_document  # office builds on this module's Segment

    with opener() as fh:  # python-docx reads the whole package and leaves the file open
        try:
            document = docx.Document(fh)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise Unreadable(f"無法開啟 DOCX corrupt document ({type(exc).__name__})") from None
        except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
            raise Unreadable(f"無法開啟 DOCX corrupt document ({type(exc).__name__})") from None
    yield from read_docx_document(document)


# Where a PDF's text outside its pages' text layer is reported (``column``).
PDF_FIELD = "表單欄位 form field"  # + the field's name
PDF_COMMENT = "註解 comment"
PDF_LINK = "超連結 hyperlink"
NO_TEXT_LAYER = "無文字層（可能為掃描影像），未檢查內容 no text layer (perhaps a scanned image): content not checked"
_PAGES_NAMED = 10  # pages without a text layer named in a note; the note counts them all
_FORM_DEPTH = 3  # form XObjects looked into for images (a scan is one image, seldom nested)


def _draws_images(resources: Any, depth: int = 0) -> bool:
    """Whether a page (or form XObject) with these resources paints an image: a page with no
    text that does is a scanned page, not a blank one."""
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, dict) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, dict):
        return False
    for ref in xobjects.values():
        xobject = ref.get_object()
        if not isinstance(xobject, dict):
            continue
        kind = xobject.get("/Subtype")
        if kind == "/Image" or (kind == "/Form" and depth < _FORM_DEPTH
                                and _draws_images(xobject.get("/Resources"), depth + 1)):
            return True
    return False


def _pdf_text(value: Any) -> str | None:
    """A PDF text string as text; names (a checkbox's /Yes), numbers and the rest are None."""
    from pypdf.generic import NameObject

    value = value.get_object() if value is not None else None
    return str(value) if isinstance(value, str) and not isinstance(value, NameObject) else None


def _pdf_fields(root: Any) -> Iterator[Batch]:
    """The values of an AcroForm's fields (a filled-in application form), each under its name
    as the column hint (身分證字號, 電話) and reported as ``表單欄位 form field 申請人.電話``. The
    field tree is walked once per object (a broken file may loop)."""
    form = root.get("/AcroForm")
    form = form.get_object() if form is not None else None
    fields = form.get("/Fields") if isinstance(form, dict) else None
    stack = [(ref, "") for ref in reversed(fields.get_object())] if fields is not None else []
    seen: set[int] = set()
    while stack:
        ref, parent = stack.pop()
        if id(field := ref.get_object()) in seen or not isinstance(field, dict):
            continue
        seen.add(id(field))
        name = _pdf_text(field.get("/T"))
        qualified = f"{parent}.{name}" if parent and name else name or parent
        value = field.get("/V")
        values = value.get_object() if value is not None else None
        # A list box may hold several chosen values; the options offered (/Opt) are no answer.
        texts = [t for v in (values if isinstance(values, list) else [values]) if (t := _pdf_text(v))]
        if texts:
            hint = " ".join(filter(None, [name or qualified.rpartition(".")[2], _pdf_text(field.get("/TU"))]))
            yield hint, [Segment(t, column=f"{PDF_FIELD} {qualified}") for t in texts]
        kids = field.get("/Kids")
        stack.extend((kid, qualified) for kid in reversed(kids.get_object() if kids is not None else []))


_XFA_DATA = "{http://www.xfa.org/schema/xfa-data/1.0/}data"


def _xfa_fields(reader: Any) -> Iterator[Batch]:
    """The data of an XFA (LiveCycle) form: each element under ``xfa:data`` that holds text is
    a field, its tag the name (``<身分證字號>``) and its path the column (``表單欄位 form field
    form1.申請人.電話``). pypdf bounds the work of inflating the packets."""
    from lxml import etree

    from gezi.pii.office import parse_xml  # office builds on this module's Segment

    packets = reader.xfa or {}
    if not (data := packets.get("datasets")):
        return
    for top in parse_xml(data, "PDF XFA").iter(_XFA_DATA):
        for elem in top.iter():
            if not isinstance(elem.tag, str) or elem is top or len(elem) or not (elem.text or "").strip():
                continue
            names, up = [], elem
            while up is not top:  # the path below xfa:data
                names.append(etree.QName(up).localname)
                up = up.getparent()
            yield names[0], [Segment(elem.text.strip(), column=f"{PDF_FIELD} {'.'.join(reversed(names))}")]


def _pdf_annotations(page: Any, number: int) -> Iterator[Batch]:
    """A page's comments (sticky notes, text boxes, highlights: ``/Contents``), their authors
    (``/T`` of a markup annotation) and link targets (``mailto:``…), under ``第 N 頁 …``.
    Form widgets are read with the form's fields."""
    from gezi.pii.office import NAME_HINT  # office builds on this module's Segment

    annots = page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    where = f"第 {number} 頁 page {number}"
    texts, authors, links = [], [], []
    for ref in annots if isinstance(annots, list) else []:
        annot = ref.get_object()
        if not isinstance(annot, dict) or annot.get("/Subtype") == "/Widget":
            continue
        if text := _pdf_text(annot.get("/Contents")):
            texts.append(Segment(text, column=f"{where} {PDF_COMMENT}"))
        if annot.get("/Subtype") != "/Link" and (author := _pdf_text(annot.get("/T"))):
            authors.append(Segment(author, column=f"{where} author"))
        action = annot.get("/A")
        action = action.get_object() if action is not None else None
        if isinstance(action, dict) and (uri := _pdf_text(action.get("/URI"))):
            links.append(Segment(uri, column=f"{where} {PDF_LINK}"))
    for hint, segs in ((None, texts), (NAME_HINT, authors), (None, links)):
        if segs:
            yield hint, segs


def read_pdf(opener: Opener) -> Iterator[Batch]:
    """Text of every page as lines, numbered across the whole document; each page's comments
    and link targets; the values of the form's fields. Pages that paint an image and hold no
    text (scanned pages) are said: a note per file (``reading_notes``), or, when nothing of the
    document could be read, the file is Unreadable — never a silent "no findings"."""
    with opener() as fh:  # pypdf reads the file as it goes and leaves it open
        yield from _pdf_batches(fh)


def _pdf_batches(fh: IO[bytes]) -> Iterator[Batch]:
    """``read_pdf`` on an open file."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(fh)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("PDF 已加密 encrypted PDF")
        pages = list(reader.pages)
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise Unreadable(f"無法開啟 PDF corrupt PDF ({type(exc).__name__})") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise Unreadable(f"無法開啟 PDF corrupt PDF ({type(exc).__name__})") from None
    number = 0
    read = False  # any text of the document read at all
    scanned: list[int] = []  # pages that paint an image and hold no text
    for n, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # a damaged page: the rest of the document still counts
            raise Unreadable(f"PDF 頁面無法解析 unreadable page ({type(exc).__name__})") from None
        try:  # what is not the text layer: a damaged annotation or resource costs that alone
            image_only = not text.strip() and _draws_images(page.get("/Resources"))
            extras = list(_pdf_annotations(page, n))
        except Exception as exc:
            note(f"第 {n} 頁的註解或影像無法讀取 page {n}: annotations or images unreadable "
                 f"({type(exc).__name__})")
            image_only, extras = False, []
        batch = []
        for line in text.splitlines():
            number += 1
            batch.append(Segment(line, line=number))
        yield None, batch
        yield from extras
        read = read or bool(text.strip() or extras)
        if image_only:
            scanned.append(n)
    try:
        # A LiveCycle (XFA) form keeps its data in XML; a hybrid one also in AcroForm fields,
        # which are then read alone (the same values twice would be counted twice).
        fields = list(_pdf_fields(reader.trailer["/Root"].get_object())) or list(_xfa_fields(reader))
    except Unreadable as exc:
        note(f"PDF 表單資料無法讀取 form data unreadable: {exc}")
        fields = []
    except Exception as exc:  # a damaged form: the pages were read all the same
        note(f"PDF 表單欄位無法讀取 form fields unreadable ({type(exc).__name__})")
        fields = []
    yield from fields
    if scanned and not read and not fields:
        raise Unreadable(NO_TEXT_LAYER)
    if scanned:
        named = "、".join(map(str, scanned[:_PAGES_NAMED])) + ("…" if len(scanned) > _PAGES_NAMED else "")
        note(f"{len(scanned)} 頁無文字層（可能為掃描影像），未檢查內容：第 {named} 頁 {len(scanned)} pages "
             f"have no text layer (perhaps scanned images) and were not checked", pages_without_text=len(scanned))


def suffix_of(name: str) -> str:
    """The lower-case suffix of a file or archive member (``a.zip!dir/b.CSV`` → ``.csv``)."""
    base = name.rsplit("!", 1)[-1].rsplit("/", 1)[-1].lower()
    return base[base.rfind("."):] if "." in base else ""


def reader_for(name: str, sniff: bytes) -> Reader | None:
    """The reader of a file by its suffix (or, without a known suffix, by a sniff of its bytes)."""
    suffix = suffix_of(name)
    if suffix in TABLE_SUFFIXES:
        delimiter = TABLE_SUFFIXES[suffix]
        return lambda opener: read_csv(opener, delimiter)
    readers = {**dict.fromkeys(JSON_SUFFIXES, read_json),
               **dict.fromkeys(JSONL_SUFFIXES, read_jsonl),
               **dict.fromkeys(XLSX_SUFFIXES, read_xlsx),
               **dict.fromkeys(SHEET_SUFFIXES - {".ods"}, read_sheets), ".ods": read_ods,
               **dict.fromkeys(DOCX_SUFFIXES, read_docx),
               **dict.fromkeys(PDF_SUFFIXES, read_pdf),
               **dict.fromkeys(TEXT_SUFFIXES, read_text)}
    if suffix in readers:
        return readers[suffix]
    # Imported here: gezi.pii.office builds on this module's Segment and table_batches.
    from gezi.pii.office import ODF_TEXT_SUFFIXES, PPTX_SUFFIXES, read_odf_text, read_pptx

    if suffix in ODF_TEXT_SUFFIXES:
        return read_odf_text
    if suffix in PPTX_SUFFIXES:
        return read_pptx
    if b"\x00" not in sniff[:8192] and not sniff.startswith((b"PK\x03\x04", b"%PDF")):
        return read_text
    if sniff.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (Notepad's "Unicode")
        return read_text
    return None
