"""E-mail files (.eml, .mbox) as containers: headers, bodies and attachments.

A mailbox export is where customer names, phone numbers and ID scans pile up (an order confirmed
by mail, a CSV sent to a vendor), so a 個資盤點 must read it the way a mail client shows it, not
as raw MIME: bodies are base64 or quoted-printable, headers are RFC 2047 encoded
(=?UTF-8?B?546L5bCP5piO?=), and text is often Big5. Each message yields members, like a ZIP:
``headers.txt`` (From, To, Cc, Reply-To, Subject decoded), ``body.txt`` / ``body-2.txt`` (text
parts; HTML with tags removed) and ``attachments/NAME`` (raw bytes, scanned by their own
format, ZIPs and nested mails included). A body comes with the reader that decodes it in the
charset its part declares (Big5 labels read as CP950), through ``files.open_text`` as any text
file is read, so bytes it cannot decode are counted and reported, not silently replaced.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.utils
import io
import quopri
import re
from collections.abc import Iterator
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser
from typing import IO, NamedTuple

from gezi.pii.files import Batch, Opener, Reader, note, open_text, read_text

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


# Labels Taiwanese mailers put on Big5 text (Outlook writes big5, old webmail x-big5): the
# text is CP950, Microsoft's superset, whose characters (碁, 銹, 恒, €) Python's big5 lacks.
_BIG5_LABELS = frozenset({"big5", "x-big5", "csbig5", "big5-tw", "cn-big5", "cp950", "ms950",
                          "windows-950", "x-windows-950"})
# Labels that say nothing of 8-bit bytes: the text is detected as an unlabelled file is.
_NO_LABEL = frozenset({"unknown-8bit", "us-ascii", "ascii", "x-unknown", "unknown"})


def codec_of(charset: str | None) -> str | None:
    """The Python codec of a MIME charset label; None when the label is missing, says nothing
    (us-ascii, unknown-8bit) or is unknown to Python — the text is then detected."""
    label = (charset or "").strip().strip('"').lower()
    if label in _BIG5_LABELS:
        return "cp950"
    if not label or label in _NO_LABEL:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decoded(raw: bytes, charset: str | None) -> str:
    """Bytes of a header or an attachment's name in the charset they declare; an unknown or
    missing label (8-bit mail without one is common) tries UTF-8, then Big5 (CP950). Bytes
    that cannot be decoded are read as U+FFFD and said (``files.note``), not guessed again."""
    codec = codec_of(charset)
    for encoding in (codec,) if codec else ("utf-8", "cp950"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    note(f"標頭或附件檔名中有無法以 {codec or 'UTF-8'} 解碼的位元組，以 U+FFFD 讀取 bytes of a header or "
         f"an attachment's name undecodable as {codec or 'UTF-8'}, read as U+FFFD")
    return raw.decode(codec or "utf-8", "replace")


def _header_text(value: object) -> str:
    """A header as a mail client shows it: RFC 2047 words decoded (=?UTF-8?B?546L5bCP5piO?=)."""
    try:
        chunks = decode_header(value)  # type: ignore[arg-type]
    except (HeaderParseError, ValueError, LookupError):
        return str(value)
    return "".join(_decoded(chunk, charset) if isinstance(chunk, bytes) else chunk
                   for chunk, charset in chunks)


class MailMember(NamedTuple):
    """A part of a message as the scanner reads it: a name, its bytes and, for a body, the
    reader that decodes them (None: read by the name's format, as a ZIP member is)."""

    name: str
    data: bytes
    reader: Reader | None = None


def _read_html(opener: Opener, encoding: str | None) -> Iterator[Batch]:
    """An HTML body's visible text as lines (``html_text``), decoded as ``read_text`` decodes."""
    stream, _ = open_text(opener, encoding)
    with stream:
        text = html_text(stream.read())
    yield from read_text(lambda: io.BytesIO(text.encode()), "utf-8")


def _body_reader(part: Message) -> Reader:
    """How a text body is read: in the charset its part declares, else detected (UTF-8, Big5)."""
    codec = codec_of(part.get_content_charset())
    if part.get_content_subtype() == "html":
        return lambda opener: _read_html(opener, codec)
    return lambda opener: read_text(opener, codec)


def _filename(part: Message) -> str | None:
    """An attachment's name as the sender's client meant it: RFC 2231 (filename*=big5''%AB…)
    in the charset it names, Big5 labels as CP950; an RFC 2047 word (=?UTF-8?B?…?=, which some
    clients write); raw 8-bit bytes (an old Big5 mailer) detected as a header's are."""
    params = Message()  # the two headers, 8-bit bytes decoded (the parser kept them escaped)
    for name, value in part.raw_items():
        if name.lower() in ("content-disposition", "content-type") and isinstance(value, str):
            raw = value.encode("ascii", "surrogateescape") if _ESCAPED.search(value) else None
            params[name] = value if raw is None else _decoded(raw, None)
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = params.get_param(param, None, header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, the bytes as code points)
            charset, _, text = value
            return _decoded(text.encode("latin-1", "replace"), charset)
        if value is not None:
            return _header_text(email.utils.unquote(value))
    return None


_ESCAPED = re.compile("[\udc80-\udcff]")


def _safe_name(name: str) -> str:
    """An attachment's file name without directories (a name is the sender's to choose)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base not in ("", ".", "..") else "attachment"


def message_members(data: bytes) -> Iterator[MailMember]:
    """The members of one message: decoded headers as UTF-8 text, bodies as sent (after
    base64 or quoted-printable) with their reader, attachments as sent."""
    # The compat32 parser: the default policy's header objects cost ~1 ms a message, which
    # made a mailbox scan several times slower; headers are decoded here instead.
    msg = email.message_from_bytes(data)
    header_lines = [f"{name}: {_header_text(value)}"
                    for name in _HEADERS for value in msg.get_all(name, [])]
    if header_lines:
        yield MailMember("headers.txt", "\n".join(header_lines).encode())
    bodies = 0
    used: set[str] = set()
    for part, whole in _leaves(msg):
        if whole is not None:
            name, payload = whole
        else:
            filename = _filename(part)
            if filename is None and part.get_content_disposition() != "attachment" \
                    and part.get_content_maintype() == "text":
                bodies += 1
                raw = part.get_payload(decode=True)
                yield MailMember("body.txt" if bodies == 1 else f"body-{bodies}.txt",
                                 raw if isinstance(raw, bytes) else b"", _body_reader(part))
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
        yield MailMember(f"attachments/{unique}", payload)


def _leaves(part: Message) -> Iterator[tuple[Message, tuple[str, bytes] | None]]:
    """The leaf parts of a message, depth first. Some come with the name and bytes they are
    scanned as: an attached message (a forward, ``message.eml``), scanned as a mail of its own,
    headers included (some clients encode it in base64 or quoted-printable, which RFC 2046
    forbids; it is decoded); a report's blocks of fields (a bounce's ``delivery-status.txt``
    with the Final-Recipient addresses, a read receipt's), which the parser holds as headers
    of empty parts."""
    if part.get_content_type() in ("message/rfc822", "message/global"):
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
        yield part, ("message.eml", raw)
    elif part.get_content_maintype() == "message" and isinstance(blocks := part.get_payload(), list):
        yield part, (f"{part.get_content_subtype()}.txt", b"".join(block.as_bytes() for block in blocks))
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
