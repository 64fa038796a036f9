"""E-mail files (.eml, .mbox) as containers: headers, bodies and attachments.

A mailbox export is where customer names, phone numbers and ID scans pile up (an order confirmed
by mail, a CSV sent to a vendor), so a 個資盤點 must read it the way a mail client shows it, not
as raw MIME: bodies are base64 or quoted-printable, headers are RFC 2047 encoded
(=?UTF-8?B?546L5bCP5piO?=), and text is often Big5. Each message yields members, like a ZIP:
``headers.txt`` (From, To, Cc, Reply-To, Subject decoded), ``body.txt`` / ``body-2.txt`` (text
parts; HTML with tags removed) and ``attachments/NAME`` (raw bytes, scanned by their own
format, ZIPs and nested mails included).
"""

from __future__ import annotations

import base64
import binascii
import email
import quopri
import re
from collections.abc import Iterator
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser
from typing import IO

MAIL_SUFFIXES = {".eml"}
MBOX_SUFFIXES = {".mbox", ".mbx"}
# Where a message of an mbox starts after another (mbox_messages' rule): "From " at a line
# start after a blank line, which ends in \n, or in \r\n in a mailbox written on Windows.
# A match ends where the message starts.
MESSAGE_START = re.compile(rb"\n\r?\n(?=From )")
_HEADERS = ("From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject")
# Block-level tags: a line break in the text, so context words stay on their value's line.
_BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                     "td", "th"})


class _Text(HTMLParser):
    """The visible text of an HTML body (scripts and styles dropped, entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BREAKS:
            self.parts.append("\n" if tag != "td" and tag != "th" else " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BREAKS and tag not in ("td", "th"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Visible text of an HTML document, one block per line."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _decoded(raw: bytes, charset: str | None) -> str:
    """Bytes of a body or header in the charset they declare; an unknown or missing label
    (8-bit mail without one is common) tries UTF-8, then Big5 (CP950)."""
    if charset and charset.lower() not in ("unknown-8bit", "us-ascii", "ascii"):
        try:
            return raw.decode(charset, "replace")
        except LookupError:
            pass
    for encoding in ("utf-8", "cp950"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def _header_text(value: object) -> str:
    """A header as a mail client shows it: RFC 2047 words decoded (=?UTF-8?B?546L5bCP5piO?=)."""
    try:
        chunks = decode_header(value)  # type: ignore[arg-type]
    except (HeaderParseError, ValueError, LookupError):
        return str(value)
    return "".join(_decoded(chunk, charset) if isinstance(chunk, bytes) else chunk
                   for chunk, charset in chunks)


def _body_text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    text = _decoded(raw, part.get_content_charset()) if isinstance(raw, bytes) else ""
    return html_text(text) if part.get_content_subtype() == "html" else text


def _safe_name(name: str) -> str:
    """An attachment's file name without directories (a name is the sender's to choose)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base not in ("", ".", "..") else "attachment"


def message_members(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(member name, bytes) of one message: decoded headers and bodies as UTF-8 text,
    attachments as sent."""
    # The compat32 parser: the default policy's header objects cost ~1 ms a message, which
    # made a mailbox scan several times slower; headers are decoded here instead.
    msg = email.message_from_bytes(data)
    header_lines = [f"{name}: {_header_text(value)}"
                    for name in _HEADERS for value in msg.get_all(name, [])]
    if header_lines:
        yield "headers.txt", "\n".join(header_lines).encode()
    bodies = 0
    used: set[str] = set()
    for part, forwarded in _leaves(msg):
        if forwarded is not None:
            name, payload = "message.eml", forwarded
        else:
            filename = part.get_filename()
            if filename is not None:
                filename = _header_text(filename)  # some clients write =?UTF-8?B?…?= names
            if filename is None and part.get_content_disposition() != "attachment" \
                    and part.get_content_maintype() == "text":
                bodies += 1
                yield ("body.txt" if bodies == 1 else f"body-{bodies}.txt"), _body_text(part).encode()
                continue
            payload = part.get_payload(decode=True)
            name = _safe_name(filename or f"part.{part.get_content_subtype()}")
        if not payload:
            continue
        stem, dot, ext = name.rpartition(".")
        unique, n = name, 1
        while unique in used:  # two attachments of the same name keep both
            n += 1
            unique = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
        used.add(unique)
        yield f"attachments/{unique}", payload


def _leaves(part: Message) -> Iterator[tuple[Message, bytes | None]]:
    """The leaf parts of a message, depth first; an attached message (a forward) comes as
    (part, its bytes), to be scanned as a mail of its own, headers included. Some clients
    encode it in base64 or quoted-printable (RFC 2046 forbids it); it is decoded."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        raw = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        try:
            if encoding == "base64":
                raw = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/]", b"", raw) + b"==")
            elif encoding == "quoted-printable":
                raw = quopri.decodestring(raw)
        except (binascii.Error, ValueError):
            pass  # scanned as it stands
        yield part, raw
    elif part.is_multipart():
        for child in part.get_payload():
            yield from _leaves(child)
    else:
        yield part, None


def mbox_messages(fh: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(message number, bytes) of an mbox file, read line by line; a message over
    ``max_bytes`` yields None (reported, not held in memory)."""
    number, buf, size, over = 0, [], 0, False
    for line in fh:
        if line.startswith(b"From ") and (number == 0 or not buf or buf[-1] in (b"\n", b"\r\n")):
            if number:
                yield number, None if over else b"".join(buf)
            number, buf, size, over = number + 1, [], 0, False
            continue
        if number == 0:
            number = 1  # a file that does not start with "From ": one message
        size += len(line)
        if size > max_bytes:
            over, buf = True, []
        elif not over:
            # mboxrd: ">From " at a line start was escaped when the message was stored.
            buf.append(line[1:] if line.startswith(b">From ") else line)
    if number:
        yield number, None if over else b"".join(buf)
