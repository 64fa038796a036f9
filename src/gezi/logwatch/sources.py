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
from gezi.logwatch.syslog import SNIFF as SYSLOG

FORMATS = ("auto", "combined", "json", "iis", "auth-json", "auth-csv", "sshd")
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


def decompress_to(path: Path, compression: str, target: Path) -> Decompressed:
    """Stream-decompress into a plain file, keeping everything that precedes damage.

    Incremental decompressor objects (not file wrappers) so the output of a truncated or
    corrupted archive is kept up to the damaged block; concatenated streams are followed.
    """
    truncated = False
    dec = _decompressor(compression)
    with path.open("rb") as src, target.open("wb") as out:
        try:
            while chunk := src.read(64 * 1024):
                while chunk:
                    out.write(dec.decompress(chunk))
                    if not getattr(dec, "eof", False):
                        break
                    chunk = dec.unused_data
                    dec = _decompressor(compression) if chunk else dec
            truncated = not getattr(dec, "eof", True)
        except (EOFError, OSError, zlib.error, lzma.LZMAError, zstandard.ZstdError):
            truncated = True
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
    """Guess the format of a file from its first lines."""
    lines = [ln.strip("\ufeff\r") for ln in head.splitlines() if ln.strip()]
    if not lines:
        return "auth-json" if auth else "combined"
    first = lines[0]
    if first.startswith("#") and any(ln.startswith("#Fields:") for ln in lines[:10]):
        return "iis"
    # a rotated file may begin with the tail of a cut line: any of the first lines will do
    if any(SYSLOG.match(ln) for ln in lines[:5]):
        return "sshd"
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
