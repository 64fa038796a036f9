"""Personal data written percent-encoded in URLs (a search or form GET in an access log:
``?name=%E7%8E%8B%E5%B0%8F%E6%98%8E&addr=%E5%8F%B0%E5%8C%97%E5%B8%82…``).

Chinese text in a URL is UTF-8, each byte written as ``%XX``: a name is invisible to the
recognizers until it is decoded. The parts of a text that hold such bytes are decoded, analyzed
as text, and the hits mapped back onto the encoded characters; masking decodes a value, masks
it and encodes the result again, so the URL keeps its form.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from urllib.parse import quote, unquote

# A query value or path segment holding at least one percent-encoded multi-byte character.
_HAS_MULTIBYTE = re.compile(r"%[C-Fc-f][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]")
_TOKEN_END = re.compile(r"[^\s&=?/;\"'<>]*")
_TOKEN_START = re.compile(r"[^\s&=?/;\"'<>]*$")
_BYTE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are when a masked value is encoded again: everything printable in
# ASCII but the percent sign, so only the characters masking wrote outside ASCII (○) and
# Chinese text are encoded.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + " "

Hit = tuple[str, int, int, float, str]


def holds_encoded_text(text: str) -> bool:
    """Whether ``text`` holds a percent-encoded multi-byte (e.g. Chinese) character."""
    return "%" in text and _HAS_MULTIBYTE.search(text) is not None


def _decode(token: str) -> tuple[str, list[int]]:
    """The decoded token and, for each decoded character, where its encoding starts in
    ``token`` (one more entry: the token's length)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    chars: list[str] = []
    starts: list[int] = []
    pos, pending = 0, 0
    n = len(token)
    while pos < n:
        m = _BYTE.match(token, pos)
        if m is None:  # a literal character ends any unfinished byte sequence
            tail = decoder.decode(b"", final=True)
            decoder.reset()
            chars.append(tail)
            starts.extend([pending] * len(tail))
            chars.append(token[pos])
            starts.append(pos)
            pos += 1
            pending = pos
            continue
        out = decoder.decode(bytes([int(m.group(1), 16)]))
        if out:
            chars.append(out)
            starts.extend([pending] * len(out))
            pending = m.end()
        pos = m.end()
    tail = decoder.decode(b"", final=True)
    chars.append(tail)
    starts.extend([pending] * len(tail))
    starts.append(n)
    return "".join(chars), starts


_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-\[\]]{0,40})=$")


def encoded_hits(text: str, analyze: Callable[[str, str | None], list[Hit]]) -> list[Hit]:
    """Hits inside the percent-encoded parts of ``text``, offsets and values in ``text``'s
    own (encoded) characters. ``analyze(decoded, key)`` finds the hits of a decoded part; the
    query key before it (``name`` of ``name=%E7…``) is passed as its column name."""
    out: list[Hit] = []
    end = 0
    # Search for the encoded bytes (a literal % the regex engine skips to), then widen to the
    # token around them: a pattern starting with the token's class would be tried at every
    # character of a log.
    for m in _HAS_MULTIBYTE.finditer(text):
        if m.start() < end:
            continue
        base = _TOKEN_START.search(text, max(end, m.start() - 200), m.start()).start()
        end = _TOKEN_END.match(text, m.start()).end()
        decoded, starts = _decode(text[base:end])
        key = _KEY.search(text, max(0, base - 42), base)
        for entity, start, end, score, _ in analyze(decoded, key.group(1) if key else None):
            # The end of a hit is where the encoding of the character after it starts.
            s, e = base + starts[start], base + starts[end]
            out.append((entity, s, e, score, text[s:e]))
    return out


def masked_encoded(value: str, mask: Callable[[str], str]) -> str:
    """``mask`` applied to a percent-encoded value: decoded, masked, encoded again."""
    return quote(mask(unquote(value)), safe=_SAFE)
