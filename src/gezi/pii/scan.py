"""Scan files, directories and ZIP archives for personal data, in parallel across files.

Bad input never stops a scan: an unreadable, corrupt, encrypted or malicious file is reported in
``files_skipped`` with the reason, and the scan of the rest completes.
"""

from __future__ import annotations

import errno
import fnmatch
import io
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_segments
from gezi.pii.db import scan_database
from gezi.pii.files import (
    SAMPLE_BYTES,
    ZIP_SUFFIXES,
    Opener,
    Reader,
    Undecodable,
    Unreadable,
    line_breaks,
    read_text,
    reader_for,
    reading_notes,
    stream_encoding,
    suffix_of,
    undecodable_bytes,
    undecodable_lines,
    undecodable_note,
)
from gezi.pii.mail import MAIL_SUFFIXES, MBOX_SUFFIXES, MESSAGE_START, mbox_messages, message_members
from gezi.pii.model import PiiFinding, ScanReport
from gezi.pii.office import EMBEDDED_NOT_CHECKED, EMBEDDING_SUFFIXES, embedded_objects, odf_subpackage
from gezi.pii.registry import get_registry

__all__ = ["ScanLimits", "iter_files", "iter_scan", "scan_database", "scan_file", "scan_paths"]

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class ScanLimits:
    """Guards against malicious archives (zip bombs, deep nesting)."""

    max_zip_depth: int = 3
    max_member_bytes: int = 256 << 20
    max_archive_bytes: int = 1 << 30  # uncompressed bytes read from one top-level archive
    max_ratio: int = 100  # uncompressed / compressed size of one member
    ratio_floor_bytes: int = 1 << 20  # small members may compress well without being bombs


@dataclass
class _Result:
    findings: list[PiiFinding] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    lines: int = 0  # line breaks in a part of a text file (see _parts)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append({"path": path, "reason": reason})


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "符號連結迴圈 symlink loop"
    if exc.errno == errno.ENOENT:
        return "檔案不存在 no such file (or a dangling symlink)"
    if exc.errno == errno.EACCES:
        return "無讀取權限 permission denied"
    return f"無法讀取 cannot read: {exc.strerror}"


def _scan_stream(display: str, opener: Opener, sniff: bytes, size: int, res: _Result,
                 entities: set[str] | None, reader: Reader | None = None) -> None:
    reader = reader or reader_for(display, sniff)
    if reader is None:
        res.skip(display, "不支援的格式 unsupported or binary format")
        return
    found: list[PiiFinding] = []
    bad: list[Undecodable] = []
    try:
        # bytes the text readers read as U+FFFD; what a reader left unread (a PDF's scanned pages)
        with undecodable_bytes() as bad, reading_notes() as notes:
            for column, segs in reader(opener):
                # Per block of lines with hits: (offset reached, line breaks before it, offset of
                # the last of them); hits come in order, so breaks are counted once, in C.
                cursor: dict[int, tuple[int, int, int]] = {}
                for i, (entity, start, end, score, value) in analyze_segments(
                        [s.text for s in segs], entities, column):
                    seg = segs[i]
                    line, offset = seg.line, seg.offset
                    if seg.lines and line is not None:
                        pos, k, last = cursor.get(i, (0, 0, -1))
                        if (more := seg.text.count("\n", pos, start)):
                            k, last = k + more, seg.text.rfind("\n", pos, start)
                        cursor[i] = (start, k, last)
                        if k:  # not the block's first line: offsets from that line's start
                            line, offset = line + k, -(last + 1)
                    found.append(PiiFinding(display, entity, score, value, offset + start,
                                            offset + end, line, seg.row, seg.column))
    except Unreadable as exc:
        res.skip(display, str(exc))
    except GeziError:
        raise  # a broken recognizer catalog is the user's error, not this file's
    except OSError as exc:
        res.skip(display, _os_reason(exc))
    except Exception as exc:  # a reader library choking on a malformed file must not stop the scan
        res.skip(display, f"無法解析 cannot parse ({type(exc).__name__})")
    else:
        res.files += 1
        res.bytes += size
        if bad:  # scanned, but not all of it as written: said per file, as skipped files are
            res.skipped.append(undecodable_note(display, bad[0], _lines_of(opener, bad[0])))
        res.skipped.extend({"path": display, **item, "scanned": True} for item in notes)
    found.sort(key=lambda f: (f.line or 0, f.row or 0, f.start))
    res.findings.extend(found)


def _lines_of(opener: Opener, bad: Undecodable) -> list[int] | None:
    """Where undecodable bytes sit, as line numbers; None if the file cannot be read again."""
    try:
        return undecodable_lines(opener, bad)
    except OSError:
        return None


def _unsafe_member(name: str) -> bool:
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.is_absolute() or ".." in posix.parts or (bool(posix.parts) and ":" in posix.parts[0])


def _scan_zip(display: str, opener: Opener, depth: int, res: _Result, entities: set[str] | None,
              limits: ScanLimits, budget: list[int]) -> None:
    if depth > limits.max_zip_depth:
        res.skip(display, f"壓縮檔巢狀過深 archive nested deeper than {limits.max_zip_depth}")
        return
    fh = None
    try:
        fh = opener()
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if fh is not None:
            fh.close()
        res.skip(display, f"損毀的 ZIP corrupt archive ({type(exc).__name__})")
        return
    with fh, archive:  # a ZipFile given a file leaves it open
        for info in archive.infolist():
            if info.is_dir():
                continue
            member = f"{display}!{member_name(info)}"
            if (data := member_data(archive, info, member, res.skip, limits, budget)) is not None:
                _scan_member(member, data, depth, res, entities, limits, budget)


_UTF8_NAME = 0x800  # the ZIP flag bit saying a member's name is UTF-8


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it. Without the UTF-8 flag Python reads the name as
    CP437; Info-ZIP writes UTF-8 without the flag, and Windows' own ZIP writes the system code
    page, CP950 (Big5) on a Taiwanese Windows: 客戶名單.csv, not τÄïσ░Å… or »È¤á."""
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "cp950"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def member_data(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: str,
                skip: Callable[[str, str], None], limits: ScanLimits, budget: list[int]) -> bytes | None:
    """A member's bytes, read within the guards (path traversal, encryption, size, ratio, the
    archive's budget, which it is taken from); None, and ``skip(member, reason)`` called, if
    refused. The scanner and the folder masking (``mask_tree``) read archives through it."""
    reason = None
    if _unsafe_member(info.filename):
        reason = "路徑穿越 path traversal in member name"
    elif info.flag_bits & 0x1:
        reason = "已加密 encrypted member"
    elif info.file_size > limits.max_member_bytes:
        reason = f"檔案過大 member larger than {limits.max_member_bytes} bytes"
    elif (info.file_size > limits.ratio_floor_bytes
          and info.file_size > limits.max_ratio * max(1, info.compress_size)):
        reason = f"疑似壓縮炸彈 zip bomb (compression ratio > {limits.max_ratio})"
    elif info.file_size > budget[0]:
        reason = f"超過解壓縮總量 archive exceeds {limits.max_archive_bytes} bytes in total"
    if reason:
        skip(member, reason)
        return None
    try:
        with archive.open(info) as fh:
            data = fh.read(min(limits.max_member_bytes, budget[0]) + 1)
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError,
            OSError) as exc:
        skip(member, f"無法解壓縮 cannot extract ({type(exc).__name__})")
        return None
    if len(data) > min(limits.max_member_bytes, budget[0]):
        skip(member, "疑似壓縮炸彈 zip bomb (more data than declared)")
        return None
    budget[0] -= len(data)
    return data


def _scan_embedded(display: str, opener: Opener, depth: int, res: _Result, entities: set[str] | None,
                   limits: ScanLimits, budget: list[int]) -> None:
    """The documents embedded in an Office document (an Excel list in a Word file, a chart's
    workbook, ODF's ``Object 1/``: ``office.embedded_objects``), each scanned as a member of it
    (``報告.docx!word/embeddings/Microsoft_Excel_Worksheet.xlsx``), one level deeper and within
    the archive guards; an object gezi cannot read (a legacy OLE binary) is noted, not passed
    over. A package that does not open was noted by its own reader."""
    try:
        with opener() as fh, zipfile.ZipFile(fh) as package:
            objects = embedded_objects(package)
            if objects and depth >= limits.max_zip_depth:  # the document itself was read
                res.skipped.append({"path": display, "scanned": True, "reason":
                                    f"內嵌物件巢狀過深，未檢查 objects embedded deeper than {limits.max_zip_depth}"})
                return
            for obj in objects:
                name = f"{display}!{obj.name}"
                if obj.suffix is None:
                    res.skip(name, EMBEDDED_NOT_CHECKED)
                    continue
                parts = {}
                for m in obj.members:
                    if (data := member_data(package, package.getinfo(m), f"{display}!{m}", res.skip, limits,
                                             budget)) is None:
                        break
                    parts[m] = data
                else:
                    if obj.members == [obj.name]:
                        _scan_member(name, parts[obj.name], depth + 1, res, entities, limits, budget)
                        continue
                    # an ODF sub-document: its folder as a package of its own
                    _scan_member(name, odf_subpackage(obj, parts), depth + 1, res, entities, limits, budget,
                                 reader_for(f"{name}{obj.suffix}", b""), document=True)
    except (zipfile.BadZipFile, OSError, ValueError, Unreadable):
        return


def _scan_member(member: str, data: bytes, depth: int, res: _Result, entities: set[str] | None,
                 limits: ScanLimits, budget: list[int], reader: Reader | None = None,
                 document: bool = False) -> None:
    """Scan a file held in memory (a ZIP member, a mail's part): by its format (or by
    ``reader``: a mail's body; ``document``: an ODF sub-document), containers one level deeper,
    then the objects an Office document embeds."""
    member_opener: Opener = lambda: io.BytesIO(data)  # noqa: E731
    suffix = suffix_of(member)
    if reader is not None:
        _scan_stream(member, member_opener, data[:SAMPLE_BYTES], len(data), res, entities, reader)
    elif suffix in ZIP_SUFFIXES:
        _scan_zip(member, member_opener, depth + 1, res, entities, limits, budget)
    # A mail within a mail (a forward) is strictly smaller than the one holding it, so it
    # does not count as an archive level; only archives can expand (zip bombs, quines).
    elif suffix in MAIL_SUFFIXES:
        _scan_message(member, data, depth, res, entities, limits, budget)
    elif suffix in MBOX_SUFFIXES:
        _scan_mbox(member, member_opener, depth, res, entities, limits, budget)
    else:
        _scan_stream(member, member_opener, data[:SAMPLE_BYTES], len(data), res, entities)
    if document or suffix in EMBEDDING_SUFFIXES:
        _scan_embedded(member, member_opener, depth, res, entities, limits, budget)


def _scan_message(display: str, data: bytes, depth: int, res: _Result,
                  entities: set[str] | None, limits: ScanLimits, budget: list[int]) -> None:
    """One e-mail message: its decoded headers, bodies and attachments (gezi.pii.mail)."""
    try:
        with reading_notes() as notes:  # headers and names read with U+FFFD
            members = list(message_members(data))
    except Exception as exc:  # the email package raises many types for broken MIME
        res.skip(display, f"無法解析郵件 cannot parse message ({type(exc).__name__})")
        return
    res.skipped.extend({"path": display, **item, "scanned": True} for item in {n["reason"]: n for n in notes}.values())
    for name, part, reader in members:
        _scan_member(f"{display}!{name}", part, depth, res, entities, limits, budget, reader)


def _scan_mbox(display: str, opener: Opener, depth: int, res: _Result,
               entities: set[str] | None, limits: ScanLimits, budget: list[int]) -> None:
    """Every message of an mbox file, read one message at a time (``res.lines``: how many)."""
    try:
        with opener() as fh:
            for number, data in mbox_messages(fh, limits.max_member_bytes):
                res.lines = number
                if data is None:
                    res.skip(f"{display}!{number}",
                             f"郵件過大 message larger than {limits.max_member_bytes} bytes")
                    continue
                _scan_message(f"{display}!{number}", data, depth, res, entities, limits, budget)
    except OSError as exc:
        res.skip(display, _os_reason(exc))


def scan_file(path: Path, entities: set[str] | None = None,
              limits: ScanLimits | None = None, part: Part | None = None) -> _Result:
    """Scan one file (a ZIP archive recursively), or ``part`` of a large text file; never
    raises for bad input."""
    limits = limits or ScanLimits()
    res = _Result()
    display = str(path)
    if part is not None:
        _scan_part(path, part, res, entities)
        return res
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            sniff = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        res.skip(display, _os_reason(exc))
        return res
    opener: Opener = lambda: path.open("rb")  # noqa: E731
    suffix = path.suffix.lower()
    # Members of archives and mails count as scanned files; their sizes as scanned bytes.
    if suffix in ZIP_SUFFIXES:
        _scan_zip(display, opener, 1, res, entities, limits, [limits.max_archive_bytes])
    elif suffix in MBOX_SUFFIXES:
        _scan_mbox(display, opener, 1, res, entities, limits, [limits.max_archive_bytes])
    elif suffix in MAIL_SUFFIXES:
        if size > limits.max_member_bytes:
            res.skip(display, f"郵件過大 message larger than {limits.max_member_bytes} bytes")
            return res
        try:
            data = path.read_bytes()
        except OSError as exc:
            res.skip(display, _os_reason(exc))
            return res
        _scan_message(display, data, 1, res, entities, limits, [limits.max_archive_bytes])
    else:
        _scan_stream(display, opener, sniff, size, res, entities)
        if suffix in EMBEDDING_SUFFIXES:
            _scan_embedded(display, opener, 1, res, entities, limits, [limits.max_archive_bytes])
    return res


# A plain-text file of at least twice SPLIT_BYTES is cut into parts scanned in parallel: about
# four per worker (so the workers finish together), of SPLIT_BYTES to SPLIT_MAX_BYTES each.
SPLIT_BYTES = 16 << 20
SPLIT_MAX_BYTES = 64 << 20
# Files this small on average go to the workers up to _MAX_CHUNK at a time.
_SMALL_JOB_BYTES = 256 << 10
_MAX_CHUNK = 64
# Encodings in which a line-feed byte is always a line feed (never inside a character), so a
# file can be cut after any of them: UTF-8 and Big5/CP950 (trail bytes 0x40–0xFE).
_SPLITTABLE = {"utf-8", "utf-8-sig", "cp950", "big5", "ascii"}
Part = tuple[int, int, str]  # (first byte, end byte, encoding; "" in a mailbox)


class _Range(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, read as a file of their own (a part is read in
    blocks, never whole), counting its line breaks as they pass (``lines``: \r\n, a lone \r
    and a lone \n each end a line, as universal newlines count them)."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._fh = path.open("rb")
        self._start, self._end = start, end
        self._fh.seek(start)
        self.lines = 0
        self._last_cr = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        left = self._end - self._fh.tell()
        if left <= 0:
            return 0
        view = memoryview(buffer)[:left]
        n = self._fh.readinto(view) or 0
        block = view[:n].tobytes()
        self.lines += line_breaks(block, self._last_cr)
        self._last_cr = block.endswith(b"\r")
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _scan_part(path: Path, part: Part, res: _Result, entities: set[str] | None) -> None:
    """Scan one part of a text file or a mailbox; line numbers (messages, in a mailbox) count
    from the part's first (the caller adds those of the parts before it)."""
    start, end, encoding = part
    display = str(path)
    if path.suffix.lower() in MBOX_SUFFIXES:  # _scan_mbox reports a file it cannot read
        limits = ScanLimits()
        _scan_mbox(display, lambda: io.BufferedReader(_Range(path, start, end), 1 << 20), 1, res,
                   entities, limits, [limits.max_archive_bytes])
        return
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            sniff = fh.read(min(SAMPLE_BYTES, end - start))
        raw = _Range(path, start, end)
    except OSError as exc:
        res.skip(display, _os_reason(exc))
        return
    opened = 0

    def opener() -> IO[bytes]:
        # read_text opens the part once and reads it to its end, so ``raw`` sees every byte; a
        # later opening finds the lines of undecodable bytes (iter_scan numbers them on).
        nonlocal opened
        opened += 1
        return io.BufferedReader(raw if opened == 1 else _Range(path, start, end), 1 << 20)

    _scan_stream(display, opener, sniff, end - start, res, entities,
                 reader=lambda opener: read_text(opener, encoding))
    res.lines = raw.lines
    res.skipped = [undecodable_note(display, Undecodable(s["undecodable_bytes"],
                                                         start + s["first_undecodable_byte"]),
                                    s.get("undecodable_lines"))
                   if s.get("scanned") else s for s in res.skipped]  # offsets in the whole file


def _excluded(path: Path, top: Path, exclude: tuple[str, ...]) -> bool:
    """``path`` (under ``top``) matches a glob of ``exclude`` by its name (``*.bak``,
    ``node_modules``) or by its path below ``top`` (``backup/2019/*``)."""
    if not exclude:
        return False
    try:
        relative = path.relative_to(top).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(fnmatch.fnmatchcase(path.name, glob) or fnmatch.fnmatchcase(relative, glob)
               for glob in exclude)


def iter_files(paths: list[Path], skipped: list[dict],
               exclude: tuple[str, ...] = ()) -> Iterator[tuple[Path, int]]:
    """Regular files under the given paths with their sizes; directories are walked following
    symlinks, each real directory once (a symlink loop is reported, not followed). Files and
    directories below a given path that match a glob of ``exclude`` are left out."""
    seen: set[tuple[int, int]] = set()
    for top in paths:
        try:
            st = top.stat()
        except OSError as exc:
            skipped.append({"path": str(top), "reason": _os_reason(exc)})
            continue
        if stat.S_ISREG(st.st_mode):
            yield top, st.st_size
            continue
        if not stat.S_ISDIR(st.st_mode):
            skipped.append({"path": str(top), "reason": "不是一般檔案 not a regular file"})
            continue
        stack = [top]
        seen.add((st.st_dev, st.st_ino))
        while stack:
            directory = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                skipped.append({"path": str(directory), "reason": _os_reason(exc)})
                continue
            subdirs = []
            for entry in entries:
                path = Path(entry.path)
                if _excluded(path, top, exclude):
                    continue
                try:
                    est = entry.stat(follow_symlinks=True)
                except OSError as exc:
                    skipped.append({"path": str(path), "reason": _os_reason(exc)})
                    continue
                if stat.S_ISDIR(est.st_mode):
                    key = (est.st_dev, est.st_ino)
                    if key in seen:
                        if entry.is_symlink():
                            skipped.append({"path": str(path), "reason": "符號連結迴圈 symlink loop"})
                        continue
                    seen.add(key)
                    subdirs.append(path)
                elif stat.S_ISREG(est.st_mode):
                    yield path, est.st_size
            stack.extend(reversed(subdirs))


def _job(args: tuple[str, set[str] | None, Part | None]) -> _Result:
    return scan_file(Path(args[0]), args[1], part=args[2])


def scan_paths(paths: list[Path], entities: set[str] | None = None, workers: int | None = None,
               progress: Progress | None = None) -> ScanReport:
    """Scan files and directories (TXT/log, CSV/TSV, XLSX/XLS/ODS, JSON/JSONL, DOCX/ODT/PPTX,
    PDF, ZIP, e-mail .eml/.mbox): all the findings in one report (see iter_scan for a scan
    whose findings are not all kept)."""
    report = ScanReport(findings=[], files_scanned=0, files_skipped=[], bytes_scanned=0)
    for piece in iter_scan(paths, entities, workers, progress):
        report.findings.extend(piece.findings)
        report.files_skipped.extend(piece.files_skipped)
        report.files_scanned += piece.files_scanned
        report.bytes_scanned += piece.bytes_scanned
    return report


def iter_scan(paths: list[Path], entities: set[str] | None = None, workers: int | None = None,
              progress: Progress | None = None, exclude: tuple[str, ...] = (),
              min_score: float = 0.0) -> Iterator[ScanReport]:
    """Scan files and directories, yielding one partial report per file (or part of a file)
    in order, so a caller can write findings out and forget them: memory stays bounded
    however many findings a scan has.

    Files are spread over ``workers`` processes (default: CPU count); a plain-text file larger
    than twice SPLIT_BYTES is cut at line breaks into parts scanned in parallel too (a single
    large log then uses every core, and its findings come part by part). ``progress`` is
    called with (bytes done, bytes total) after each file or part. ``exclude``: globs of
    files and directories left out (see iter_files); ``min_score``: findings scored lower are
    dropped.
    """
    get_registry()  # a broken recognizer catalog stops here, before any file is read
    skipped: list[dict] = []
    files = list(iter_files([Path(p) for p in paths], skipped, exclude))
    if skipped:
        yield ScanReport(findings=[], files_scanned=0, files_skipped=skipped, bytes_scanned=0)
    total = sum(size for _, size in files)
    workers = workers or os.cpu_count() or 1
    jobs: list[tuple[str, set[str] | None, Part | None]] = []
    meta: list[tuple[int, bool]] = []  # per job: bytes, the last part of a cut file
    for path, size in files:
        # Parts also with one worker: each part's findings are handed on before the next is read.
        parts = _split_for(path, size, workers)
        for i, part in enumerate(parts or [None]):
            jobs.append((str(path), entities, part))
            meta.append((size if part is None else part[1] - part[0], bool(parts) and i == len(parts) - 1))
    finished = done = 0
    lines_before = 0  # lines of the earlier parts of the file being merged

    def take(res: _Result) -> ScanReport:
        nonlocal finished, done, lines_before
        size, last_part = meta[finished]
        if jobs[finished][2] is not None:  # a part: lines count on from the parts before it
            if Path(jobs[finished][0]).suffix.lower() in MBOX_SUFFIXES:
                if lines_before:  # messages, which count as files as members of a ZIP do
                    _renumber_messages(res, jobs[finished][0], lines_before)
            else:
                if lines_before:
                    res.findings = [f._replace(line=f.line + lines_before) for f in res.findings]
                    res.skipped = [{**s, "undecodable_lines": [n + lines_before for n in s["undecodable_lines"]]}
                                   if "undecodable_lines" in s else s for s in res.skipped]
                # the file counts once; a part read with U+FFFD (a note, "scanned") was read
                res.files = int(last_part and not any(not s.get("scanned") for s in res.skipped))
            lines_before = 0 if last_part else lines_before + res.lines
        done += size
        finished += 1
        if progress:
            progress(done, total)
        if min_score > 0:
            res.findings = [f for f in res.findings if f.score >= min_score]
        return ScanReport(findings=res.findings, files_scanned=res.files, files_skipped=res.skipped,
                          bytes_scanned=res.bytes)

    if workers > 1 and len(jobs) > 1:
        # Many small files go to the workers in chunks: one round trip a file cost more than
        # scanning it (20 000 one-line files took longer on two workers than on one).
        small = total < len(jobs) * _SMALL_JOB_BYTES
        chunk = max(1, min(_MAX_CHUNK, len(jobs) // (workers * 4))) if small else 1
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                for res in pool.map(_job, jobs, chunksize=chunk):
                    yield take(res)
        except (BrokenProcessPool, OSError):
            # No process pool here (no /dev/shm) or a worker died (killed for memory): the
            # jobs not yet reported are scanned in this process instead.
            pass
    for job in jobs[finished:]:
        yield take(_job(job))


def _renumber_messages(res: _Result, display: str, before: int) -> None:
    """Message numbers of a mailbox part (``box.mbox!3!body.txt``) counted on from the
    ``before`` messages of the parts before it."""
    prefix = f"{display}!"

    def shifted(path: str) -> str:
        number, sep, rest = path[len(prefix):].partition("!")
        return f"{prefix}{int(number) + before}{sep}{rest}" if path.startswith(prefix) else path

    res.findings = [f._replace(path=shifted(f.path)) for f in res.findings]
    res.skipped = [{**item, "path": shifted(item["path"])} for item in res.skipped]


def _mbox_cuts(fh: BinaryIO, size: int, step: int) -> list[int]:
    """Offsets, about ``step`` apart, where a message of a mailbox starts (LF or CRLF line
    ends: see mail.MESSAGE_START)."""
    cuts = [0]
    while cuts[-1] + 2 * step <= size:
        pos = cuts[-1] + step
        fh.seek(pos)
        tail = b""
        while chunk := fh.read(1 << 16):
            window = tail + chunk
            if found := MESSAGE_START.search(window):
                cuts.append(pos - len(tail) + found.end())
                break
            pos += len(chunk)
            tail = window[-16:]  # longer than a message start cut by a read (\n\r\nFrom)
        else:
            break
    return cuts


def _split_for(path: Path, size: int, workers: int) -> list[Part] | None:
    """Byte ranges, each ending after a line feed, for a large plain-text file in a splittable
    encoding; None when the file is not cut (or cannot be read: scan_file reports that)."""
    suffix = path.suffix.lower()
    if size < 2 * SPLIT_BYTES or suffix in MAIL_SUFFIXES:
        return None
    step = max(SPLIT_BYTES, min(SPLIT_MAX_BYTES, size // (4 * workers)))
    cuts = [0]
    try:
        with path.open("rb") as fh:
            if suffix in MBOX_SUFFIXES:  # a mailbox is cut between messages
                cuts = _mbox_cuts(fh, size, step)
                ends = [*cuts[1:], size]
                return [(a, b, "") for a, b in zip(cuts, ends, strict=True)] if len(cuts) > 1 else None
            sniff = fh.read(SAMPLE_BYTES)
            if reader_for(str(path), sniff) is not read_text:
                return None
            encoding = stream_encoding(fh)
            if encoding.lower().replace("_", "-") not in _SPLITTABLE:
                return None
            while cuts[-1] + 2 * step <= size:
                fh.seek(cuts[-1] + step)
                pos = fh.tell()
                while (chunk := fh.read(1 << 16)) and (nl := chunk.find(b"\n")) < 0:
                    pos += len(chunk)
                if not chunk:
                    break
                cuts.append(pos + nl + 1)
    except (OSError, Unreadable):
        return None
    if len(cuts) < 2:
        return None
    ends = [*cuts[1:], size]
    # The BOM is in the first part only; the others are plain UTF-8.
    later = "utf-8" if encoding == "utf-8-sig" else encoding
    return [(a, b, encoding if i == 0 else later) for i, (a, b) in enumerate(zip(cuts, ends, strict=True))]
