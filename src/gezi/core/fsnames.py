"""File names as text: a name whose bytes are not UTF-8 (a Big5 name from a Windows share)
reaches Python with surrogate escapes, which no UTF-8 output, JSON document or database
accepts. ``printable`` writes those bytes as ``\\xa4``; ``from_printable`` turns such text back
into the name Python opens the file by."""

from __future__ import annotations

import re
from typing import Any


def printable(text: str) -> str:
    """``text`` as valid Unicode: a file name whose bytes are not UTF-8 (a Big5 name from a
    Windows share) holds surrogate escapes (U+DC80–U+DCFF, one per byte), which no UTF-8
    output accepts; they are written as ``\\xa4``, so the name stays recognisable and the
    output valid. Any other lone surrogate (from a JSON ``\\ud800`` escape) becomes ``\\ud800``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(f"\\x{ord(ch) - 0xDC00:02x}" if "\udc80" <= ch <= "\udcff"
                       else f"\\u{ord(ch):04x}" if "\ud800" <= ch <= "\udfff" else ch
                       for ch in text)
    return text


# A surrogate on its own: a file-name byte (U+DC80–DCFF) or a JSON "\\ud800" escape.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def from_printable(text: str) -> str:
    """The file name ``printable`` wrote as ``\\xa4``, as Python names the file (surrogate
    escapes), to open it again (a re-scan of an inventoried location)."""
    return _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), text)


def printable_doc(doc: Any) -> Any:
    """``doc`` (dicts, lists, strings) with every string made ``printable``."""
    if isinstance(doc, str):
        return printable(doc)
    if isinstance(doc, dict):
        return {printable_doc(k): printable_doc(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [printable_doc(v) for v in doc]
    return doc
