"""Windows Security log logon events as gezi auth events: 4624 success and 4625 failure on the
computer logged on to; on domain controllers Kerberos pre-authentication failures (4771) and NTLM
credential validation (4776).

Three usual exports are read, recognized from their content:

- XML, as `wevtutil qe Security /f:xml` writes it (events one after another, with or without a root
  element, on one line or many) or a saved `.xml` of Event Viewer: the EventData names
  (`TargetUserName`, `IpAddress`, `LogonType`, `Status`, `SubStatus` …) do not depend on the
  display language;
- JSON lines of Winlogbeat / Elastic Agent (`winlog.event_id`, `winlog.event_data.*`) or of other
  shippers writing the EventData names flat (NXLog `EventID`, `TargetUserName` …);
- CSV saved by Event Viewer ("Save Filtered Log File As… CSV") or PowerShell's
  `Get-WinEvent | Export-Csv`: the event's rendered message is read, which is in the display
  language of the exporting machine; only English messages are read (others are `missing_fields`:
  export XML instead).

Each 4625, 4771 and 4776 is a `failure`, or `unknown_user` when its code says the account does
not exist (a 4776 with Error Code 0x0 a `success`); each 4624 a `success` (codes and events:
catalog `windows-logon.yaml`). The account is `DOMAIN\\name` as the event names it (4771 and 4776
name no domain), the source IP the event's `IpAddress`, else a 4776 `Workstation` written as an
address (it is mostly a computer name). A logon without a
network address (`-`, a local console, service or NTLM logon) is an event without IP: the account
rules count it, the IP rules do not. Other events are `not_auth_event` (counted, not an error).
Times: XML and Winlogbeat stamps are UTC; local times without a zone (Event Viewer CSV, NXLog
`EventTime`) are read in the site's zone.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import ipaddress
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gezi.logwatch.catalog import WindowsLogonEvent, windows_logon

FORMAT = "winevent"
# Skip reasons of events that were read correctly but are no logon attempt.
RECOGNIZED = ("not_auth_event",)
_EVENT_XML = re.compile(r"<Event[\s>].*?</Event>", re.S)
# EventData names read, and the labels of Event Viewer's English message that hold them
_DATA = ("TargetUserName", "TargetDomainName", "IpAddress", "IpPort", "LogonType", "Status",
         "SubStatus", "Workstation")
# sections of 4625, 4624 and 4771 whose `Account Name` is the account of the attempt (the
# `Subject:` section names the caller)
_ACCOUNT_SECTIONS = ("Account For Which Logon Failed", "New Logon", "Account Information")
_LABELS = {"Source Network Address": "IpAddress", "Source Port": "IpPort",
           "Logon Type": "LogonType", "Status": "Status", "Sub Status": "SubStatus",
           "Client Address": "IpAddress", "Client Port": "IpPort", "Failure Code": "Status",
           "Logon Account": "TargetUserName", "Source Workstation": "Workstation",
           "Error Code": "Status"}
# Event Viewer and Get-WinEvent write local times in the exporting machine's locale; en-US and
# ISO-like forms are read (a day-first 24-hour form cannot be told from month-first)
_LOCAL_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S",
                  "%Y-%m-%dT%H:%M:%S")
_ISO_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)$")


@dataclass
class Logon:
    """One record of the file: an auth event, or why it is none (`reason`)."""

    line: str  # what evidence and skip samples show: the event's facts, or the raw record
    ts_ms: int | None = None
    ip: str | None = None
    account: str | None = None
    event: str | None = None
    result: str | None = None
    computer: str | None = None
    reason: str | None = None
    zoned: bool = False  # the time was local, read in the site's zone


def sniff_line(line: str) -> bool:
    """Whether a line starts a Windows event export: event XML, a Winlogbeat / NXLog JSON event
    or the header of an Event Viewer / Get-WinEvent CSV."""
    if line.startswith("<") and ("<Event " in line or "<Event>" in line or "<Events" in line):
        return True
    if line.startswith("{"):
        return '"winlog"' in line or ('"EventID"' in line and '"TargetUserName"' in line)
    header = {c.strip().strip('"').lower() for c in line.split(",")}
    return ("event id" in header and "date and time" in header) or \
        {"id", "timecreated", "message"} <= header


def _open_text(path: Path) -> io.TextIOWrapper:
    """The file as text: UTF-16 with a byte-order mark (what PowerShell's `>` writes), else UTF-8;
    undecodable bytes become U+FFFD (the record is then `invalid_utf8`)."""
    raw = path.open("rb")
    head = raw.read(4)
    raw.seek(0)
    encoding = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def read(path: Path, tz: str) -> Iterator[Logon]:
    """The records of a plain (decompressed) export, in file order."""
    with _open_text(path) as text:
        first = ""
        for first in text:
            if first.strip():
                break
        text.seek(0)
        start = first.lstrip("\ufeff \t")
        if start.startswith("<"):
            yield from _xml_records(text)
        elif start.startswith("{"):
            yield from (_json_record(ln, tz) for ln in text if ln.strip())
        else:
            yield from _csv_records(text, tz)


def _xml_records(text: io.TextIOWrapper) -> Iterator[Logon]:
    buffer = ""
    while chunk := text.read(1 << 20):
        buffer += chunk
        end = 0
        for m in _EVENT_XML.finditer(buffer):
            yield _xml_record(m.group())
            end = m.end()
        buffer = buffer[end:]
    rest = buffer.strip()
    # a cut last event; closing tags of a root element are no record
    if rest and not re.fullmatch(r"(</Events>\s*)*", rest):
        yield Logon(line=rest[:2000], reason="invalid_xml")


def _xml_record(record: str) -> Logon:
    if "\ufffd" in record:
        return Logon(line=record, reason="invalid_utf8")
    try:
        root = ET.fromstring(record)
    except ET.ParseError:
        return Logon(line=record, reason="invalid_xml")
    system = _children(root, "System")
    created = system.get("TimeCreated")
    data = {d.get("Name"): (d.text or "").strip()
            for d in _children(root, "EventData", all_data=True).get("Data", [])}
    return _logon(_text(system.get("EventID")),
                  created.get("SystemTime") if created is not None else None,
                  _text(system.get("Computer")), data, None, record)


def _children(root: ET.Element, name: str, all_data: bool = False) -> dict[str, Any]:
    """The child elements of `root`'s child `name` by local name (with or without the event
    namespace); `all_data` lists every `Data` element."""
    parent = next((c for c in root if c.tag.rsplit("}", 1)[-1] == name), None)
    out: dict[str, Any] = {}
    for child in parent if parent is not None else ():
        tag = child.tag.rsplit("}", 1)[-1]
        if all_data:
            out.setdefault(tag, []).append(child)
        else:
            out.setdefault(tag, child)
    return out


def _text(node: ET.Element | None) -> str | None:
    return node.text.strip() if node is not None and node.text else None


def _json_record(line: str, tz: str) -> Logon:
    line = line.strip().lstrip("\ufeff")
    if "\ufffd" in line:
        return Logon(line=line, reason="invalid_utf8")
    try:
        doc = json.loads(line)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return Logon(line=line, reason="invalid_json")
    winlog = doc.get("winlog") if isinstance(doc.get("winlog"), dict) else {}
    data = winlog.get("event_data") or doc.get("event_data") or doc
    event = doc.get("event") if isinstance(doc.get("event"), dict) else {}
    host = doc.get("host") if isinstance(doc.get("host"), dict) else {}
    event_id = winlog.get("event_id") or doc.get("EventID") or event.get("code")
    ts = doc.get("@timestamp") or doc.get("EventTime") or doc.get("TimeCreated")
    computer = winlog.get("computer_name") or doc.get("Hostname") or host.get("name")
    return _logon(None if event_id is None else str(event_id), ts, computer,
                  data if isinstance(data, dict) else {}, tz, line)


def _csv_records(text: io.TextIOWrapper, tz: str) -> Iterator[Logon]:
    """Event Viewer / Get-WinEvent CSV: a header row naming the columns, the message multi-line."""
    rows = csv.reader(text)
    header: dict[str, int] | None = None
    width = 0
    for row in rows:
        if not any(c.strip() for c in row) or (header is None and row[0].startswith("#TYPE")):
            continue
        if header is None:
            header = {c.strip().strip("\ufeff").lower(): i for i, c in enumerate(row)}
            width = len(row)
            continue
        raw = ",".join(row)
        if "\ufffd" in raw:
            yield Logon(line=raw, reason="invalid_utf8")
            continue

        def cell(*names: str) -> str | None:
            i = next((header[n] for n in names if n in header), None)  # noqa: B023
            return row[i].strip() if i is not None and i < len(row) else None  # noqa: B023

        # Event Viewer names five columns and writes the message as a sixth, unnamed one
        message = cell("message", "description", "general") or (
            row[width] if len(row) > width else "")
        data = _message_fields(message)
        yield _logon(cell("event id", "id", "eventid"), cell("date and time", "timecreated"),
                     cell("computer", "machinename"), data, tz, raw)


def _message_fields(message: str) -> dict[str, str]:
    """EventData values from an English rendered message (`Account Name:\talice` …)."""
    data: dict[str, str] = {}
    section = ""
    for raw in message.splitlines():
        label, sep, value = raw.strip().partition(":")
        if not sep:
            continue
        value = value.strip()
        if not value:  # `New Logon:`, `Failure Information:` open a section
            section = label
            continue
        if section in _ACCOUNT_SECTIONS and label == "Account Name":
            data["TargetUserName"] = value
        elif section in _ACCOUNT_SECTIONS and label == "Account Domain":
            data["TargetDomainName"] = value
        elif label in _LABELS:
            data[_LABELS[label]] = value
    return data


@cache
def _events() -> dict[str, WindowsLogonEvent]:
    return {str(e.id): e for e in windows_logon().events}


@cache
def _codes() -> dict[str, dict[int, tuple[str, str]]]:
    """Each code table as {code as a number: (result, meaning)}."""
    return {name: {int(s.code, 16): (s.result, s.meaning) for s in table.statuses}
            for name, table in windows_logon().codes.items()}


def _number(code: str) -> int | None:
    """A hexadecimal code (`0x18`, `0xC000006A`) as a number; None for anything else."""
    try:
        return int(code, 16) if code.lower().startswith("0x") else None
    except ValueError:
        return None


def _logon(event_id: str | None, ts: Any, computer: str | None, data: dict[str, Any],
           tz: str | None, raw: str) -> Logon:
    """The auth event of one record's fields (`tz`: zone of times written without one)."""
    if event_id is None:
        return Logon(line=raw, reason="missing_fields")
    kind = _events().get(event_id.strip())
    if kind is None:  # a Security log holds mostly other events: their id and time suffice
        return Logon(line=json.dumps({"event_id": event_id, "ts": ts if isinstance(ts, str) else None,
                                      "computer": computer}), reason="not_auth_event")
    get = {k: str(data[k]).strip() for k in _DATA if data.get(k) not in (None, "")}
    name, domain = get.get("TargetUserName"), get.get("TargetDomainName")
    if name in (None, "-"):
        return Logon(line=raw, reason="missing_fields")
    account = f"{domain}\\{name}" if domain and domain != "-" and "@" not in name else name
    event, result, reason_text = kind.event, kind.result, None
    if kind.codes:
        status, sub = get.get("Status", "").lower(), get.get("SubStatus", "").lower()
        code = sub if _number(sub) else status  # the Sub Status when it is not 0x0
        number = _number(code)
        table = _codes()[kind.codes]
        result, meaning = table[number] if number in table else (kind.result, None)
        if result != "success":
            reason_text = f"{code} {meaning}" if meaning else code or None
    ts_ms, zoned = _time(ts, tz)
    logon_type = get.get("LogonType")
    facts = {"event_id": int(event_id), "ts": ts if isinstance(ts, str) else None,
             "computer": computer, "user": account, "ip": get.get("IpAddress"),
             "port": get.get("IpPort"), "workstation": get.get("Workstation"),
             "logon_type": _logon_type(logon_type), "result": result, "reason": reason_text}
    line = json.dumps({k: v for k, v in facts.items() if v is not None}, ensure_ascii=False)
    ip = _address(get.get("IpAddress")) or _address(get.get("Workstation"))
    out = Logon(line=line, ts_ms=ts_ms, ip=ip, account=account, event=event, result=result,
                computer=computer or None, zoned=zoned)
    if ts is None or ts == "":
        out.reason = "missing_timestamp"
    elif ts_ms is None:
        out.reason = "bad_timestamp"
    return out


def _address(value: str | None) -> str | None:
    """The client IP of an event field, or None: `-` (a local logon) and text that is no address
    (a cut `::ffff:`) name no client, and one shared false key would lump unrelated logons."""
    if not value:
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value  # as written: normalize gives every address one spelling


def _logon_type(value: str | None) -> str | None:
    if value is None:
        return None
    name = windows_logon().logon_types.get(int(value)) if value.isdigit() else None
    return f"{value} {name}" if name else value


def _time(value: Any, tz: str | None) -> tuple[int | None, bool]:
    """(epoch ms, read in the site's zone) of an event's time: ISO with offset or Z (7-digit
    fractions, as Windows writes them), epoch, or a local time in a known form."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000 if value < 1e11 else value), False
    if not isinstance(value, str):
        return None, False
    text = value.strip()
    m = _ISO_OFFSET.match(text)
    if m:
        offset = "+00:00" if m.group(3) == "Z" else m.group(3)
        try:
            t = dt.datetime.fromisoformat(m.group(1).replace(" ", "T") + (m.group(2) or "")[:7]
                                          + offset)
        except ValueError:
            return None, False
        return int(t.timestamp() * 1000), False
    if tz is None:
        return None, False
    for fmt in _LOCAL_FORMATS:
        try:
            t = dt.datetime.strptime(text.split(".")[0], fmt)
        except ValueError:
            continue
        return int(t.replace(tzinfo=ZoneInfo(tz)).timestamp() * 1000), True
    return None, False
