"""Windows Security log logon events (4625 failure, 4624 success) from the usual exports — wevtutil
XML, Winlogbeat JSON, Event Viewer CSV — as auth events for the account rules. The samples are
written by hand in the shape Windows and Winlogbeat give them (no copied data)."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest
from lwdata import alerts_of

from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import scan
from gezi.logwatch.sources import sniff
from gezi.logwatch.store import ingest

NS = "http://schemas.microsoft.com/win/2004/08/events/event"
# 2026-03-02 10:00:00 Asia/Taipei
UTC0 = "2026-03-02T02:00:{:02d}.{:07d}Z"
MS0 = 1772416800000


def xml_event(event_id: int, second: int, user: str, ip: str = "203.0.113.50", *,
              domain: str = "CORP", logon_type: int = 3, status: str = "0xc000006d",
              sub: str = "0xc000006a", computer: str = "DC01.corp.example") -> str:
    """One event as `wevtutil qe Security /f:xml` prints it (one line, single quotes)."""
    failure = (f"<Data Name='Status'>{status}</Data><Data Name='FailureReason'>%%2313</Data>"
               f"<Data Name='SubStatus'>{sub}</Data>") if event_id == 4625 else ""
    return (f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing' "
            f"Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{event_id}</EventID>"
            f"<Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode>"
            f"<Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='"
            f"{UTC0.format(second, 1234567)}'/><EventRecordID>{880000 + second}</EventRecordID>"
            f"<Correlation/><Execution ProcessID='668' ThreadID='5424'/><Channel>Security</Channel>"
            f"<Computer>{computer}</Computer><Security/></System><EventData>"
            f"<Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='SubjectUserName'>-</Data>"
            f"<Data Name='SubjectDomainName'>-</Data><Data Name='SubjectLogonId'>0x0</Data>"
            f"<Data Name='TargetUserSid'>S-1-0-0</Data><Data Name='TargetUserName'>{user}</Data>"
            f"<Data Name='TargetDomainName'>{domain}</Data>{failure}"
            f"<Data Name='LogonType'>{logon_type}</Data><Data Name='LogonProcessName'>NtLmSsp "
            f"</Data><Data Name='AuthenticationPackageName'>NTLM</Data>"
            f"<Data Name='WorkstationName'>-</Data><Data Name='TransmittedServices'>-</Data>"
            f"<Data Name='LmPackageName'>-</Data><Data Name='KeyLength'>0</Data>"
            f"<Data Name='ProcessId'>0x0</Data><Data Name='ProcessName'>-</Data>"
            f"<Data Name='IpAddress'>{ip}</Data><Data Name='IpPort'>51{second:03d}</Data>"
            f"</EventData></Event>")


def winlogbeat(event_id: int, second: int, user: str, ip: str = "203.0.113.60", *,
               sub: str = "0xc000006a") -> str:
    """One event as Winlogbeat 8 writes it to a file or Logstash (nested, event_id a string)."""
    data = {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "WEB01$", "TargetUserName": user,
            "TargetDomainName": "WEB01", "LogonType": "10", "IpAddress": ip, "IpPort": "0",
            "LogonProcessName": "User32 ", "AuthenticationPackageName": "Negotiate"}
    if event_id == 4625:
        data |= {"Status": "0xc000006d", "SubStatus": sub, "FailureReason": "%%2313"}
    return json.dumps({
        "@timestamp": f"2026-03-02T02:01:{second:02d}.512Z",
        "event": {"code": str(event_id), "kind": "event", "provider": "Microsoft-Windows-Security-Auditing",
                  "action": "logon-failed" if event_id == 4625 else "logged-in",
                  "outcome": "failure" if event_id == 4625 else "success"},
        "winlog": {"channel": "Security", "event_id": str(event_id), "computer_name": "WEB01.corp.example",
                   "provider_name": "Microsoft-Windows-Security-Auditing", "record_id": 5100 + second,
                   "event_data": data, "logon": {"type": "RemoteInteractive"}},
        "source": {"ip": ip, "port": 0}, "user": {"name": user, "domain": "WEB01"},
        "host": {"name": "web01.corp.example"}, "agent": {"type": "winlogbeat", "version": "8.12.2"},
        "ecs": {"version": "8.0.0"}})


MESSAGE_4625 = """An account failed to log on.

Subject:
\tSecurity ID:\t\tNULL SID
\tAccount Name:\t\t-
\tAccount Domain:\t\t-
\tLogon ID:\t\t0x0

Logon Type:\t\t\t3

Account For Which Logon Failed:
\tSecurity ID:\t\tNULL SID
\tAccount Name:\t\t{user}
\tAccount Domain:\t\tCORP

Failure Information:
\tFailure Reason:\t\tUnknown user name or bad password.
\tStatus:\t\t\t0xC000006D
\tSub Status:\t\t{sub}

Process Information:
\tCaller Process ID:\t0x0
\tCaller Process Name:\t-

Network Information:
\tWorkstation Name:\t-
\tSource Network Address:\t{ip}
\tSource Port:\t\t49{n:03d}

Detailed Authentication Information:
\tLogon Process:\t\tNtLmSsp
\tAuthentication Package:\tNTLM
\tTransited Services:\t-
\tPackage Name (NTLM only):\t-
\tKey Length:\t\t0
"""


def event_viewer_csv(rows: list[tuple[str, int, str, str]]) -> str:
    """Event Viewer's "Save Filtered Log File As… CSV": five named columns, the message a sixth."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Keywords", "Date and Time", "Source", "Event ID", "Task Category"])
    for n, (when, event_id, user, sub) in enumerate(rows):
        message = (MESSAGE_4625.format(user=user, sub=sub, ip="198.51.100.77", n=n) if event_id == 4625
                   else "Credential Manager credentials were read.\n\nSubject:\n\tAccount Name:\t\tbob\n")
        w.writerow(["Audit Failure" if event_id == 4625 else "Audit Success", when,
                    "Microsoft-Windows-Security-Auditing", str(event_id),
                    "Logon" if event_id == 4625 else "User Account Management", message])
    return out.getvalue()


def _rows(tmp_path, name: str, content: str | bytes, fmt: str = "auto"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with Workspace() as ws:
        used = ws.add_file(path, fmt)
        rows = ws.con.execute(f"SELECT ts_ms, ip, account, event, result, device, source FROM "
                              f"({ws.parsed_union()}) ORDER BY rid").fetchall()
        s = ws.summary
        lines = ws.raw_lines([r[0] for r in ws.con.execute(
            f"SELECT rid FROM ({ws.parsed_union()})").fetchall()])
        return used, rows, {"lines": s.lines, "parsed": s.parsed, "by_reason": dict(s.by_reason),
                            "samples": dict(s.samples), "zoned": s.zoned}, list(lines.values())


def test_wevtutil_xml_failures_successes_and_other_events(tmp_path):
    events = [xml_event(4625, 1, "alice"),
              xml_event(4625, 2, "nosuchuser", sub="0xc0000064"),
              # locked out: Status alone (Sub Status 0x0)
              xml_event(4625, 3, "carol", status="0xc0000234", sub="0x0"),
              xml_event(4624, 4, "alice", ip="2001:db8::50", logon_type=10),
              # a service logon has no network address: an event without IP
              xml_event(4624, 5, "SYSTEM", ip="-", domain="NT AUTHORITY", logon_type=5),
              xml_event(4672, 6, "alice")]
    # wevtutil prints the events one after another; an export may wrap them in a root element
    used, rows, s, lines = _rows(tmp_path, "security.xml", "".join(events) + "\r\n")
    assert used == "winevent"
    assert [r[:6] for r in rows] == [
        (MS0 + 1123, "203.0.113.50", "CORP\\alice", "login", "failure", "DC01.corp.example"),
        (MS0 + 2123, "203.0.113.50", "CORP\\nosuchuser", "login", "unknown_user", "DC01.corp.example"),
        (MS0 + 3123, "203.0.113.50", "CORP\\carol", "login", "failure", "DC01.corp.example"),
        (MS0 + 4123, "2001:db8::50", "CORP\\alice", "login", "success", "DC01.corp.example"),
        (MS0 + 5123, None, "NT AUTHORITY\\SYSTEM", "login", "success", "DC01.corp.example")]
    assert {r[6] for r in rows} == {"auth"}
    assert (s["lines"], s["parsed"], s["by_reason"]) == (6, 5, {"not_auth_event": 1})
    # evidence: the event's facts, with logon type and the status meaning as the reason
    facts = json.loads(lines[1])
    assert facts["logon_type"] == "3 Network"
    assert facts["reason"] == "0xc0000064 no such user name (misspelled or bad account)"
    wrapped = "<?xml version='1.0' encoding='UTF-8'?>\n<Events>\n" + "\n".join(events[:2]) + "\n</Events>\n"
    assert _rows(tmp_path, "wrapped.xml", wrapped)[1] == rows[:2]
    # Windows PowerShell's `>` writes UTF-16 with a byte-order mark
    assert _rows(tmp_path, "utf16.xml", "\ufeff".encode("utf-16-le") + wrapped.encode("utf-16-le"))[1] == rows[:2]


def test_broken_records_are_counted_with_a_masked_sample(tmp_path):
    # a malformed event, then a file cut inside the last one
    content = xml_event(4625, 1, "alice") + "<Event xmlns='x'><System><EventID>4625</Event>" + \
        xml_event(4625, 2, "bobby")[:1300]
    _, rows, s, _ = _rows(tmp_path, "cut.xml", content)
    assert len(rows) == 1 and s["by_reason"] == {"invalid_xml": 2} and s["lines"] == 3
    # skipped events: the account is masked in the sample, also in the raw XML
    content = xml_event(4625, 1, "bobby", ip="::ffff:") + xml_event(4634, 2, "carol")
    _, rows, s, _ = _rows(tmp_path, "other.xml", content)
    assert s["by_reason"] == {"not_auth_event": 1} and "carol" not in s["samples"]["not_auth_event"]
    # an address cut to `::ffff:` names no client: an event without IP, like `-`
    assert [r[1:5] for r in rows] == [(None, "CORP\\bobby", "login", "failure")]
    content = event_viewer_csv([("3/2/2026 10:00:07 AM", 4625, "bobby", "0xC000006A")])
    content = content.replace("Source Network Address:\t198.51.100.77", "Source Network Address:\t-")
    _, rows, s, _ = _rows(tmp_path, "local.csv", content)
    assert [r[1:5] for r in rows] == [(None, "CORP\\bobby", "login", "failure")] and s["by_reason"] == {}


def test_winlogbeat_json_rdp_guessing(tmp_path):
    lines = [winlogbeat(4625, i, "administrator") for i in range(3)]
    lines += [winlogbeat(4625, 3, "admin", sub="0xc0000064"), winlogbeat(4624, 4, "deploy"),
              json.dumps({"@timestamp": "2026-03-02T02:01:05Z", "winlog": {"event_id": 4634,
                          "channel": "Security", "event_data": {"TargetUserName": "deploy"}}})]
    used, rows, s, _ = _rows(tmp_path, "winlogbeat.ndjson", "\n".join(lines) + "\n")
    assert used == "winevent"
    assert [r[1:6] for r in rows] == [("203.0.113.60", "WEB01\\administrator", "login", "failure",
                                       "WEB01.corp.example")] * 3 + [
        ("203.0.113.60", "WEB01\\admin", "login", "unknown_user", "WEB01.corp.example"),
        ("203.0.113.60", "WEB01\\deploy", "login", "success", "WEB01.corp.example")]
    assert rows[0][0] == MS0 + 60_512
    assert s["by_reason"] == {"not_auth_event": 1}


def test_event_viewer_csv_english_message(tmp_path):
    content = event_viewer_csv([("3/2/2026 10:00:07 AM", 4625, "alice", "0xC000006A"),
                                ("3/2/2026 10:00:08 AM", 4625, "ghost", "0xC0000064"),
                                ("3/2/2026 10:00:09 AM", 5379, "", "")])
    used, rows, s, _ = _rows(tmp_path, "security.csv", "\ufeff" + content)
    assert used == "winevent"
    # local times of the exporting machine, read in the site's zone
    assert rows == [(MS0 + 7000, "198.51.100.77", "CORP\\alice", "login", "failure", None, "auth"),
                    (MS0 + 8000, "198.51.100.77", "CORP\\ghost", "login", "unknown_user", None, "auth")]
    assert s["by_reason"] == {"not_auth_event": 1} and s["zoned"] == 2


def test_sniffing_windows_exports():
    assert sniff(xml_event(4625, 1, "a"), False) == "winevent"
    assert sniff(winlogbeat(4625, 1, "a") + "\n", True) == "winevent"
    assert sniff(event_viewer_csv([("3/2/2026 10:00:07 AM", 4625, "a", "0xC000006A")]), True) == "winevent"
    # a JSON access log is no Windows event
    assert sniff(json.dumps({"remote_addr": "1.2.3.4", "status": 200}), False) == "json"


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_windows_events_raise_brute_force_and_credential_stuffing(tmp_path, backend):
    events = [xml_event(4625, i, "administrator", ip="198.51.100.9") for i in range(3)]
    events += [xml_event(4625, 10 + i, f"user{i}", ip="203.0.113.99", sub="0xc0000064")
               for i in range(10)]
    path = tmp_path / "security.xml.gz"
    path.write_bytes(gzip.compress("\n".join(events).encode()))
    doc = scan([], [path], backend=backend).to_dict()
    brute = alerts_of(doc, "brute_force")
    assert [(a["user"], a["src_ip"], a["count"]) for a in brute] == [("C******r", "198.51.100.9", 3)]
    assert [a["src_ip"] for a in alerts_of(doc, "credential_stuffing")] == ["203.0.113.99"]
    assert [a["src_ip"] for a in alerts_of(doc, "unknown_account")] == ["203.0.113.99"]
    # evidence shows the event's facts with the account masked
    assert all("administrator" not in line and '"logon_type": "3 Network"' in line
               for line in brute[0]["evidence"])


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_failures_without_source_ip_raise_brute_force_not_ip_rules(tmp_path, backend):
    # password guessing at the console / over NTLM: IpAddress `-`, one account, then many
    events = [xml_event(4625, i, "payroll", ip="-", logon_type=2) for i in range(3)]
    events += [xml_event(4625, 10 + i, f"clerk{i}", ip="-", sub="0xc0000064") for i in range(10)]
    # and an account guessed both locally and from the network: one alert naming the one IP
    events += [xml_event(4625, 30, "hr", ip="-"), xml_event(4625, 31, "hr", ip="198.51.100.5"),
               xml_event(4625, 32, "hr", ip="-")]
    path = tmp_path / "security.xml"
    path.write_text("\n".join(events), encoding="utf-8")
    doc = scan([], [path], backend=backend).to_dict()
    brute = sorted((a["user"], a["src_ip"], a["src_ips"], a["count"]) for a in alerts_of(doc, "brute_force"))
    assert brute == [("C******l", None, [], 3), ("C*****r", "198.51.100.5", ["198.51.100.5"], 3)]
    # ten accounts failing from no visible address are no credential stuffing from one "IP"
    assert {a["category"] for a in doc["alerts"]} == {"brute_force"}
    assert all("payroll" not in line for a in alerts_of(doc, "brute_force") for line in a["evidence"])


def test_ingest_archives_windows_logons_as_auth_with_device(tmp_path):
    path = tmp_path / "security.xml"
    path.write_text(xml_event(4625, 1, "alice") + xml_event(4624, 2, "alice"), encoding="utf-8")
    doc = ingest(tmp_path / "data", [], [path])
    assert doc["files"][0]["events"] == 2
    import duckdb
    rows = duckdb.sql(f"SELECT account, result, device FROM read_parquet('"
                      f"{tmp_path}/data/logs/events/source=auth/*/*.parquet') ORDER BY ts_ms").fetchall()
    assert rows == [("CORP\\alice", "failure", "DC01.corp.example"), ("CORP\\alice", "success", "DC01.corp.example")]


def dc_event(event_id: int, second: int, user: str, status: str, *, ip: str = "::ffff:198.51.100.20",
             workstation: str = "WIN81") -> str:
    """A domain controller's 4771 (Kerberos pre-authentication failed) or 4776 (NTLM credential
    validation) as `wevtutil qe Security /f:xml` prints it; EventData as on Microsoft Learn."""
    if event_id == 4771:
        data = (f"<Data Name='TargetUserName'>{user}</Data><Data Name='TargetSid'>"
                f"S-1-5-21-3457937927-2839227994-823803824-1104</Data><Data Name='ServiceName'>"
                f"krbtgt/CORP.EXAMPLE</Data><Data Name='TicketOptions'>0x40810010</Data>"
                f"<Data Name='Status'>{status}</Data><Data Name='PreAuthType'>2</Data>"
                f"<Data Name='IpAddress'>{ip}</Data><Data Name='IpPort'>49{second:03d}</Data>"
                f"<Data Name='CertIssuerName'></Data><Data Name='CertSerialNumber'></Data>"
                f"<Data Name='CertThumbprint'></Data>")
    else:
        data = (f"<Data Name='PackageName'>MICROSOFT_AUTHENTICATION_PACKAGE_V1_0</Data>"
                f"<Data Name='TargetUserName'>{user}</Data><Data Name='Workstation'>{workstation}</Data>"
                f"<Data Name='Status'>{status}</Data>")
    return (f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing' "
            f"Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{event_id}</EventID>"
            f"<Version>0</Version><Level>0</Level><Task>{14339 if event_id == 4771 else 14336}</Task>"
            f"<Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime='"
            f"{UTC0.format(second, 4620000)}'/><EventRecordID>{990000 + second}</EventRecordID>"
            f"<Correlation/><Execution ProcessID='520' ThreadID='1084'/><Channel>Security</Channel>"
            f"<Computer>DC01.corp.example</Computer><Security/></System><EventData>{data}"
            f"</EventData></Event>")


def test_domain_controller_kerberos_and_ntlm_events(tmp_path):
    events = [dc_event(4771, 1, "dadmin", "0x18"),                 # wrong password
              dc_event(4771, 2, "ghost", "0x6", ip="::ffff:198.51.100.21"),  # no such account
              dc_event(4771, 3, "dadmin", "0x10", ip="::1"),       # smart card: not listed, a failure
              dc_event(4776, 4, "svc-backup", "0xc000006a"),       # NTLM wrong password
              dc_event(4776, 5, "nobody", "0xC0000064", workstation="-"),
              dc_event(4776, 6, "svc-backup", "0x0"),              # credentials validated
              dc_event(4776, 7, "svc-backup", "0xc0000234", workstation="10.20.0.7")]
    used, rows, s, lines = _rows(tmp_path, "dc.xml", "".join(events))
    assert used == "winevent" and s["by_reason"] == {}
    assert [r[1:6] for r in rows] == [
        ("::ffff:198.51.100.20", "dadmin", "login", "failure", "DC01.corp.example"),
        ("::ffff:198.51.100.21", "ghost", "login", "unknown_user", "DC01.corp.example"),
        ("::1", "dadmin", "login", "failure", "DC01.corp.example"),
        (None, "svc-backup", "login", "failure", "DC01.corp.example"),
        (None, "nobody", "login", "unknown_user", "DC01.corp.example"),
        (None, "svc-backup", "login", "success", "DC01.corp.example"),
        # a workstation written as an address is the client's address
        ("10.20.0.7", "svc-backup", "login", "failure", "DC01.corp.example")]
    facts = [json.loads(line) for line in lines]
    assert facts[0]["reason"] == "0x18 KDC_ERR_PREAUTH_FAILED: pre-authentication information invalid (wrong password)"
    assert facts[2]["reason"] == "0x10"
    assert (facts[3]["workstation"], facts[3]["reason"]) == ("WIN81", "0xc000006a misspelled or bad password")
    assert "reason" not in facts[5]


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_domain_controller_failures_raise_brute_force(tmp_path, backend):
    # password guessing against one domain account seen on the DC: Kerberos from three clients,
    # NTLM with no address at all
    events = [dc_event(4771, i, "dadmin", "0x18", ip=f"::ffff:198.51.100.{30 + i}") for i in range(3)]
    events += [dc_event(4776, 10 + i, "svc-backup", "0xc000006a") for i in range(3)]
    events += [dc_event(4771, 20 + i, f"nobody{i}", "0x6", ip="::ffff:203.0.113.44") for i in range(3)]
    path = tmp_path / "dc.xml"
    path.write_text("\n".join(events), encoding="utf-8")
    doc = scan([], [path], backend=backend).to_dict()
    brute = sorted((a["user"], a["src_ip_count"], a["count"]) for a in alerts_of(doc, "brute_force"))
    assert brute == [("d****n", 3, 3), ("s******p", 0, 3)]
    # IPv4 clients written as IPv4-mapped IPv6 are located and keyed as IPv4
    assert [a["src_ip"] for a in alerts_of(doc, "unknown_account")] == ["203.0.113.44"]


def test_event_viewer_csv_domain_controller_messages(tmp_path):
    kerberos = ("Kerberos pre-authentication failed.\n\nAccount Information:\n\tSecurity ID:\t\tCORP\\dadmin\n"
                "\tAccount Name:\t\tdadmin\n\nService Information:\n\tService Name:\t\tkrbtgt/CORP.EXAMPLE\n\n"
                "Network Information:\n\tClient Address:\t\t::ffff:198.51.100.20\n\tClient Port:\t\t49201\n\n"
                "Additional Information:\n\tTicket Options:\t\t0x40810010\n\tFailure Code:\t\t0x18\n"
                "\tPre-Authentication Type:\t2\n")
    ntlm = ("The computer attempted to validate the credentials for an account.\n\n"
            "Authentication Package:\tMICROSOFT_AUTHENTICATION_PACKAGE_V1_0\nLogon Account:\tnobody\n"
            "Source Workstation:\tWIN81\nError Code:\t0xc0000064\n")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Keywords", "Date and Time", "Source", "Event ID", "Task Category"])
    w.writerow(["Audit Failure", "3/2/2026 10:00:07 AM", "Microsoft-Windows-Security-Auditing", "4771",
                "Kerberos Authentication Service", kerberos])
    w.writerow(["Audit Failure", "3/2/2026 10:00:08 AM", "Microsoft-Windows-Security-Auditing", "4776",
                "Credential Validation", ntlm])
    used, rows, s, _ = _rows(tmp_path, "dc.csv", out.getvalue())
    assert used == "winevent" and s["by_reason"] == {}
    assert rows == [(MS0 + 7000, "::ffff:198.51.100.20", "dadmin", "login", "failure", None, "auth"),
                    (MS0 + 8000, None, "nobody", "login", "unknown_user", None, "auth")]


def test_daily_review_lists_failures_without_source_ip(tmp_path):
    import datetime as dt

    from gezi.logwatch.report import daily_review

    # archived console failures keep their missing IP; the review lists them under '-' and the
    # account's brute-force alert is in the day's alerts
    path = tmp_path / "security.xml"
    path.write_text("".join(xml_event(4625, i, "payroll", ip="-", logon_type=2) for i in range(3))
                    + xml_event(4625, 5, "ghost", ip="-", sub="0xc0000064"), encoding="utf-8")
    ingest(tmp_path / "data", [], [path])
    review = daily_review(tmp_path / "data", dt.date(2026, 3, 2))
    assert [row[:4] for row in review["failed_by_ip"]] == [["-", "", 4, 2]]
    assert [row[:2] for row in review["unknown_accounts"]] == [["-", ""]]
    assert [(row[1], row[5]) for row in review["alerts"]] == [("brute_force", "C******l")]
