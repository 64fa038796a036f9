"""Raw log files: compression by magic bytes, streaming decompression, format sniffing."""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import lzma
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from gezi.core.errors import GeziError
from gezi.logwatch import firewall, winevent
from gezi.logwatch.syslog import SNIFF as SYSLOG

FORMATS = ("auto", "combined", "json", "iis", "auth-json", "auth-csv", "sshd", winevent.FORMAT,
           *firewall.FORMATS)
# The archive partition (`source=`) of each format's events.
SOURCE = {"combined": "web", "json": "web", "iis": "web", "auth-json": "auth", "auth-csv": "auth",
          "sshd": "auth", winevent.FORMAT: "auth", **dict.fromkeys(firewall.FORMATS, "firewall")}
AUTH_FIELDS = {"ts", "ip", "user", "event", "result"}
SNIFF_BYTES = 64 * 1024
CHUNK = 1 << 20
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zstd", b"\xfd7zXZ": "xz"}


def compression_of(path: Path) -> str | None:
    """'gzip', 'bz2', 'zstd', 'xz' or None (plain), from the file's first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise GeziError(f"無法讀取檔案 cannot read {path}: {exc.strerror}") from None
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def open_decompressed(path: Path, compression: str | None) -> BinaryIO:
    """A binary stream of the file's decompressed content."""
    if compression == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if compression == "xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if compression == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"))  # type: ignore[return-value]
    return path.open("rb")


@dataclass
class Decompressed:
    """A plain copy of a compressed file and whether its end was missing."""

    path: Path
    truncated: bool


def _decompressor(compression: str):
    if compression == "gzip":
        return zlib.decompressobj(wbits=31)
    if compression == "bz2":
        return bz2.BZ2Decompressor()
    if compression == "xz":
        return lzma.LZMADecompressor()
    return zstandard.ZstdDecompressor().decompressobj()


class _CrlfToLf:
    """CRLF → LF over a stream of chunks (a CR ending one chunk waits for the next)."""

    def __init__(self) -> None:
        self.cr = False

    def __call__(self, data: bytes) -> bytes:
        if self.cr:
            data = b"\r" + data
        self.cr = data.endswith(b"\r")
        return (data[:-1] if self.cr else data).replace(b"\r\n", b"\n")

    def flush(self) -> bytes:
        return b"\r" if self.cr else b""


def decompress_to(path: Path, compression: str | None, target: Path) -> Decompressed:
    """Stream-decompress (or copy, when plain) into a plain file, keeping everything that
    precedes damage; line ends become LF.

    Incremental decompressor objects (not file wrappers) so the output of a truncated or
    corrupted archive is kept up to the damaged block; concatenated streams are followed.
    DuckDB's reader refuses a file mixing CRLF and LF line ends (a Windows log appended to by
    another tool), so they are made one.
    """
    lf = _CrlfToLf()
    if compression is None:
        with path.open("rb") as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                out.write(lf(chunk))
            out.write(lf.flush())
        return Decompressed(target, False)
    truncated = False
    dec = _decompressor(compression)
    with path.open("rb") as src, target.open("wb") as out:
        try:
            while chunk := src.read(64 * 1024):
                while chunk:
                    out.write(lf(dec.decompress(chunk)))
                    if not getattr(dec, "eof", False):
                        break
                    chunk = dec.unused_data
                    dec = _decompressor(compression) if chunk else dec
            truncated = not getattr(dec, "eof", True)
        except (EOFError, OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError):
            truncated = True
        out.write(lf.flush())
    return Decompressed(target, truncated)


def head_text(path: Path, compression: str | None, size: int = SNIFF_BYTES) -> str:
    """The first `size` bytes of the decompressed content as text (undecodable bytes replaced);
    UTF-16 with a byte-order mark (what Windows PowerShell's `>` writes) is decoded as such."""
    try:
        with open_decompressed(path, compression) as src:
            data = src.read(size)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError):
        data = b""
    utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    text = data[:len(data) & ~1 if utf16 else None].decode("utf-16" if utf16 else "utf-8",
                                                           errors="replace")
    # the file goes on: its line cut at `size` bytes is no line of the sample
    return text[:text.rfind("\n") + 1] if len(data) == size and "\n" in text else text


# A combined / common log line, with or without a vhost prefix: `[time]` then a quoted request.
_COMBINED = re.compile(r'^(?:\S+ )?\S+ \S+ \S+ \[[^\]]{10,40}\] "')
SNIFF_MAX = 4 << 20  # a head without any recognizable line is read further, up to this


@dataclass
class Sniffed:
    """The format `sniff` chose and what else its sample held."""

    format: str
    lines: int = 0  # non-blank lines looked at
    other: dict[str, int] = field(default_factory=dict)  # lines of other formats in the sample
    unknown: int = 0  # lines of no format (banners, comments, cut lines)

    def report(self) -> dict[str, Any]:
        """For the file's entry of the summary: what the sample held besides `format`."""
        return {"lines": self.lines, "other_formats": self.other, "unrecognized": self.unknown}


def _line_format(line: str, auth: bool) -> str | None:
    """The format one line belongs to, if any; syslog lines are 'syslog' (sshd or iptables is
    decided over the file's lines)."""
    if winevent.sniff_line(line):  # before JSON: Winlogbeat writes JSON lines
        return winevent.FORMAT
    if line.startswith("{"):
        try:
            keys = json.loads(line)
        except ValueError:
            return None
        if not isinstance(keys, dict):
            return None
        return "auth-json" if auth or AUTH_FIELDS <= set(keys) else "json"
    if firewall.fortigate_line(line):  # before syslog: FortiGate lines may carry its header
        return "fortigate"
    if SYSLOG.match(line):
        return "syslog"
    if _COMBINED.match(line):
        return "combined"
    return None


def sniff(head: str, auth: bool) -> str:
    """Guess the format of a file from its first lines (see `sniff_sample`)."""
    return sniff_sample(head, auth).format


def sniff_sample(head: str, auth: bool) -> Sniffed:
    """Guess the format of a file from a sample of its first lines: the format most of the lines
    belong to, ties going to the earliest.

    Blank lines, banners and `#` comments before the data are passed over (W3C directives decide
    the format); the lines of other formats and of none are counted, for the summary. Firewall
    records are recognized whether given as a log file or with `--auth`: their format decides
    where they are archived.
    """
    lines = [ln.strip("\ufeff\r") for ln in head.splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return Sniffed("auth-json" if auth else "combined")
    kinds = [None if ln.startswith("#") else _line_format(ln, auth) for ln in lines]
    counts = Counter(k for k in kinds if k)
    unknown = kinds.count(None)
    fields = next((i for i, ln in enumerate(lines) if ln.startswith("#Fields:")), None)
    if fields is not None and not any(kinds[:fields]):
        # a directive before any line of another format: a W3C file (IIS, pfirewall.log), whose
        # data lines no other format reads
        fmt = "pfirewall" if firewall.sniff_fields(lines[fields]) else "iis"
        return Sniffed(fmt, len(lines), dict(counts))
    data = [ln for ln in lines if not ln.startswith("#")]
    if data and kinds[lines.index(data[0])] is None:
        header = {c.strip().strip('"').lower() for c in data[0].split(",")}
        # An auth file whose first line is comma-separated is CSV even when a column is
        # missing, so the CSV parser names the missing column instead of counting every line as
        # broken JSON.
        if AUTH_FIELDS <= header or (auth and "," in data[0]):
            return Sniffed("auth-csv", len(lines), dict(counts), unknown - 1)
    if not counts:
        return Sniffed("auth-json" if auth else "combined", len(lines), {}, unknown)
    best = max(counts, key=lambda k: (counts[k], -kinds.index(k)))
    fmt = best
    if best == "syslog":
        # kern.log, ufw.log, or a syslog file holding more packet logs than sshd lines
        syslog = [ln for ln, k in zip(lines, kinds, strict=True) if k == "syslog"]
        packets = sum(1 for ln in syslog if firewall.netfilter_line(ln))
        fmt = "iptables" if packets > sum(1 for ln in syslog if " sshd" in ln) else "sshd"
    return Sniffed(fmt, len(lines), {k: n for k, n in counts.items() if k != best}, unknown)


def sniff_file(path: Path, compression: str | None, auth: bool) -> Sniffed:
    """`sniff_sample` of the file's first 64 KiB, or of its first SNIFF_MAX bytes when those hold
    no line of any format (a long banner or comment header, blank lines)."""
    found = sniff_sample(head_text(path, compression), auth)
    if found.lines and found.unknown == found.lines:
        found = sniff_sample(head_text(path, compression, SNIFF_MAX), auth)
    return found
