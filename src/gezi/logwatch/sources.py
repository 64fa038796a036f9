"""Raw log files: compression by magic bytes, streaming decompression, format sniffing."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from gezi.core.errors import GeziError
from gezi.logwatch import firewall
from gezi.logwatch.syslog import SNIFF as SYSLOG

FORMATS = ("auto", "combined", "json", "iis", "auth-json", "auth-csv", "sshd", *firewall.FORMATS)
# The archive partition (`source=`) of each format's events.
SOURCE = {"combined": "web", "json": "web", "iis": "web", "auth-json": "auth", "auth-csv": "auth",
          "sshd": "auth", **dict.fromkeys(firewall.FORMATS, "firewall")}
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


def head_text(path: Path, compression: str | None) -> str:
    """The first bytes of the decompressed content as text (undecodable bytes replaced)."""
    try:
        with open_decompressed(path, compression) as src:
            data = src.read(SNIFF_BYTES)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError):
        data = b""
    return data.decode("utf-8", errors="replace")


def sniff(head: str, auth: bool) -> str:
    """Guess the format of a file from its first lines.

    Firewall records are recognized whether given as a log file or with `--auth`: their format
    decides where they are archived.
    """
    lines = [ln.strip("\ufeff\r") for ln in head.splitlines() if ln.strip()]
    if not lines:
        return "auth-json" if auth else "combined"
    first = lines[0]
    if first.startswith("#"):
        fields = next((ln for ln in lines[:10] if ln.startswith("#Fields:")), None)
        if fields is not None:
            return "pfirewall" if firewall.sniff_fields(fields) else "iis"
    if firewall.sniff_fortigate(lines):
        return "fortigate"
    # a rotated file may begin with the tail of a cut line: any of the first lines will do
    if any(SYSLOG.match(ln) for ln in lines[:5]):
        # kern.log, ufw.log, or a syslog file holding more packet logs than sshd lines
        packets = firewall.netfilter_lines(lines)
        sshd = sum(1 for ln in lines if " sshd" in ln)
        return "iptables" if packets > sshd else "sshd"
    if first.startswith("{"):
        try:
            keys = set(json.loads(first))
        except (ValueError, TypeError):
            keys = set()
        return "auth-json" if auth or AUTH_FIELDS <= keys else "json"
    header = {c.strip().strip('"').lower() for c in first.split(",")}
    # An auth file whose first line is comma-separated is CSV even when a column is missing, so
    # the CSV parser names the missing column instead of counting every line as broken JSON.
    if AUTH_FIELDS <= header or (auth and "," in first):
        return "auth-csv"
    return "auth-json" if auth else "combined"
