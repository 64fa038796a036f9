"""`gezi incidents`: personal-data and security incidents, their legal clocks, notices, mail."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as reg
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.core.errors import GeziError
from gezi.core.timeutil import as_utc, iso, now_utc, parse_date, parse_datetime, roc_date, show_date
from gezi.org.service import resolve_org, update_org_settings
from gezi.privacy import incidents as svc
from gezi.privacy import mailer, notices
from gezi.privacy.incident_models import (
    DELIVERY_STATUS_ZH,
    EVENT_KIND_ZH,
    EVENT_KINDS,
    INCIDENT_KIND_ZH,
    INCIDENT_STATUS_ZH,
)

app = typer.Typer(help="個資／資安事故、法定時限、當事人通知 Incidents, legal clocks, notices.",
                  no_args_is_help=True)

PURPOSE_ZH = {"report": "通報", "notice": "通知", "followup": "後續", "records": "紀錄保存"}

IdArg = Annotated[int, typer.Argument(help="事故編號 Incident id.")]
Title = Annotated[str | None, typer.Option("--title", help="事故名稱 Short title.")]
Detected = Annotated[str | None, typer.Option(
    "--detected-at", help="知悉／發現時間 When the organization knew (ISO 8601; no offset = "
    "Asia/Taipei). All incident clocks start here.")]
Affected = Annotated[int | None, typer.Option("--affected", help="受影響人數／筆數 Affected people.")]
Special = Annotated[bool | None, typer.Option(
    "--special-categories/--no-special-categories", help="涉及特種個資 Special-category data "
    "(PDPA Art 6).")]
SystemRecords = Annotated[int | None, typer.Option(
    "--system-records", help="受影響系統保有筆數 Records held by the affected system.")]
Kind = Annotated[str | None, typer.Option("--kind", help="pd_breach | security")]
Major = Annotated[bool | None, typer.Option(
    "--major/--not-major", help="危及正常營運或大量當事人權益 Endangers operations or many "
    "people (left out = not yet assessed; such duties are listed).")]
Data = Annotated[list[str] | None, typer.Option(
    "--data", help="受影響個資欄位 Data fields, e.g. 姓名,電話,電子信箱 (repeatable).")]
Cause = Annotated[str | None, typer.Option("--cause", help="事故原因 Cause, if known.")]
HowFound = Annotated[str | None, typer.Option(
    "--how-found", help="如何得知 How it came to light, e.g. 接獲消費者投訴.")]
OccFrom = Annotated[str | None, typer.Option("--occurred-from", help="事故期間起 Period start.")]
OccTo = Annotated[str | None, typer.Option("--occurred-to", help="事故期間迄 Period end.")]
Investigator = Annotated[str | None, typer.Option(
    "--investigator", help="受託調查單位 Who investigates, e.g. a forensic firm.")]
Fraud = Annotated[str | None, typer.Option(
    "--fraud-warning", help="詐騙手法 Fraud pattern to warn about, e.g. 假冒客服解除分期付款.")]
Phone = Annotated[str | None, typer.Option("--contact-phone", help="聯絡電話 Contact phone.")]
Email = Annotated[str | None, typer.Option("--contact-email", help="聯絡信箱 Contact e-mail.")]
Hours = Annotated[str | None, typer.Option("--contact-hours", help="服務時間 Office hours.")]
AfterHours = Annotated[str | None, typer.Option(
    "--contact-after-hours", help="非上班時間聯絡方式 Contact outside office hours.")]


def _values(title: str | None, detected_at: str | None, affected: int | None,
            special: bool | None, system_records: int | None, kind: str | None,
            major: bool | None, data: list[str] | None, cause: str | None,
            how_found: str | None, occurred_from: str | None, occurred_to: str | None,
            investigator: str | None, fraud: str | None, contact: dict[str, str | None]
            ) -> dict[str, Any]:
    """Options given on the command line as incident fields (absent options are left out)."""
    values: dict[str, Any] = {
        "title": title.strip() if title is not None else None,
        "detected_at": parse_datetime(detected_at) if detected_at is not None else None,
        "affected": affected, "special_categories": special, "system_records": system_records,
        "kind": kind, "cause": cause, "how_found": how_found, "investigator": investigator,
        "fraud_warning": fraud,
        "occurred_from": parse_date(occurred_from) if occurred_from is not None else None,
        "occurred_to": parse_date(occurred_to) if occurred_to is not None else None,
    }
    if data:
        values["data_categories"] = [p.strip() for item in data
                                     for p in re.split(r"[,，、;；]", item) if p.strip()]
    out = {k: v for k, v in values.items() if v is not None}
    if major is not None:
        out["major"] = major
    given = {k: v for k, v in contact.items() if v}
    if given:
        out["contact"] = given
    return out


def _when(value: str | None, roc: bool) -> str:
    """A stored ISO moment as Taipei date and time (ROC date with --roc): hours matter here."""
    if not value:
        return ""
    moment = parse_datetime(value)
    return f"{roc_date(moment)} {show_date(moment)[-5:]}" if roc else show_date(moment)


def _kind_status(doc: dict[str, Any]) -> str:
    return (f"{INCIDENT_KIND_ZH.get(doc['kind'], doc['kind'])}，"
            f"{INCIDENT_STATUS_ZH.get(doc['status'], doc['status'])}")


def _print_incident(doc: dict[str, Any], roc: bool) -> None:
    console.print(Text.assemble((f"事故 #{doc['id']} {doc['title']}", "bold"),
                                f" ({_kind_status(doc)}) 知悉 {_when(doc['detected_at'], roc)}，"
                                f"影響 {doc['affected']:,} 人"))
    for binding, title in ((True, "法定義務（現行有效）Binding obligations"),
                           (False, "參考：尚未施行或草案，不具拘束力 Advisory (not in force)")):
        duties = [o for o in doc["obligations"] if o["binding"] is binding]
        if not duties:
            continue
        console.print(Text.assemble("\n", (title, "bold")))
        for o in duties:
            due = _when(o["due"], roc) or "無法定時數 no fixed limit"
            done_mark = f"  ✔ 已完成 {_when(o['done_at'], roc)}" if o["done_at"] else ""
            console.print(f"• [{PURPOSE_ZH.get(o['purpose'], o['purpose'])}] 期限 {due}  "
                          f"{o['id']}{done_mark}")
            console.print(f"  {o['description']}")
            console.print(f"  依據 {o['source']}")
            if o["caveat"]:
                console.print(f"  ※ {o['caveat']}")


@app.command("new")
def new(title: Title = None, detected_at: Detected = None, affected: Affected = None,
        special_categories: Special = None, system_records: SystemRecords = None,
        kind: Kind = None, major: Major = None, data: Data = None, cause: Cause = None,
        how_found: HowFound = None, occurred_from: OccFrom = None, occurred_to: OccTo = None,
        investigator: Investigator = None, fraud_warning: Fraud = None,
        contact_phone: Phone = None, contact_email: Email = None, contact_hours: Hours = None,
        contact_after_hours: AfterHours = None, org: OrgOpt = None, json_out: JsonOpt = False,
        roc: RocOpt = False) -> None:
    """登錄事故並列出法定義務與期限 Record an incident and list its legal duties."""
    if not title or not detected_at:
        raise GeziError("--title 與 --detected-at 為必填 --title and --detected-at are required")
    values = _values(title, detected_at, affected, special_categories, system_records, kind,
                     major, data, cause, how_found, occurred_from, occurred_to, investigator,
                     fraud_warning, {"phone": contact_phone, "email": contact_email,
                                     "hours": contact_hours, "after_hours": contact_after_hours})
    with reg() as session:
        organization = resolve_org(session, org)
        incident = svc.open_incident(session, organization, settings().who, **values)
        doc = svc.incident_json(incident)
    print_json(doc) if json_out else _print_incident(doc, roc)


@app.command("update")
def update(incident_id: IdArg, title: Title = None, detected_at: Detected = None,
           affected: Affected = None, special_categories: Special = None,
           system_records: SystemRecords = None, kind: Kind = None, major: Major = None,
           data: Data = None, cause: Cause = None, how_found: HowFound = None,
           occurred_from: OccFrom = None, occurred_to: OccTo = None,
           investigator: Investigator = None, fraud_warning: Fraud = None,
           contact_phone: Phone = None, contact_email: Email = None,
           contact_hours: Hours = None, contact_after_hours: AfterHours = None,
           org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """更新事故資料並重新計算義務 Change incident facts; duties are recomputed."""
    values = _values(title, detected_at, affected, special_categories, system_records, kind,
                     major, data, cause, how_found, occurred_from, occurred_to, investigator,
                     fraud_warning, {"phone": contact_phone, "email": contact_email,
                                     "hours": contact_hours, "after_hours": contact_after_hours})
    if not values:
        raise GeziError("未指定要更新的欄位 nothing to update: pass at least one option")
    with reg() as session:
        organization = resolve_org(session, org)
        incident = svc.get_incident(session, organization, incident_id)
        changed = svc.update_incident(session, organization, incident, settings().who, **values)
        doc = {**svc.incident_json(incident), "changed": changed}
    print_json(doc) if json_out else _print_incident(doc, roc)


@app.command("show")
def show(incident_id: IdArg, org: OrgOpt = None, json_out: JsonOpt = False,
         roc: RocOpt = False) -> None:
    """顯示事故、義務與處理歷程 Show an incident, its duties and timeline."""
    with reg() as session:
        incident = svc.get_incident(session, resolve_org(session, org), incident_id)
        doc = svc.incident_json(incident, with_events=True)
    if json_out:
        print_json(doc)
        return
    _print_incident(doc, roc)
    _print_timeline(doc["timeline"], roc)


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出事故 List incidents with their next open binding deadline."""
    with reg() as session:
        docs = [svc.incident_json(i) for i in svc.list_incidents(session, resolve_org(session, org))]
    if json_out:
        print_json({"incidents": docs})
        return
    rows = []
    for d in docs:
        nxt = next((o for o in d["obligations"] if o["binding"] and o["due"] and not o["done_at"]),
                   None)
        rows.append([d["id"], d["title"], INCIDENT_KIND_ZH.get(d["kind"], d["kind"]),
                     INCIDENT_STATUS_ZH.get(d["status"], d["status"]), _when(d["detected_at"], roc),
                     d["affected"], f"{_when(nxt['due'], roc)} {nxt['id']}" if nxt else ""])
    table("事故 Incidents", ["id", "名稱", "類型", "狀態", "知悉", "影響人數", "下一期限 next due"],
          rows)


def _print_timeline(events: list[dict[str, Any]], roc: bool = False) -> None:
    table("處理歷程 Timeline", ["時間 at", "類別 kind", "內容 text", "人員 actor"],
          [[_when(e["at"], roc), EVENT_KIND_ZH.get(e["kind"], e["kind"]), e["text"], e["actor"]]
           for e in events])


@app.command("timeline")
def timeline(
    incident_id: IdArg,
    add: Annotated[str | None, typer.Option("--add", help="新增一筆紀錄 Add an entry.")] = None,
    kind: Annotated[str, typer.Option(
        "--kind", help="investigation | measure | contact | notice | report")] = "investigation",
    at: Annotated[str | None, typer.Option("--at", help="發生時間 When (ISO; default now).")] = None,
    org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False,
) -> None:
    """記錄調查、因應措施、聯繫；列出歷程 Record investigation steps, measures, contacts."""
    if add is None and (at is not None or kind != "investigation"):
        raise GeziError("--kind/--at 需搭配 --add only make sense with --add")
    if kind not in EVENT_KINDS or kind == "update":
        raise GeziError(f"未知的紀錄類型 unknown --kind {kind!r}; use investigation, measure, "
                        "contact, notice or report")
    with reg() as session:
        incident = svc.get_incident(session, resolve_org(session, org), incident_id)
        if add is not None:
            svc.add_event(session, incident, kind, add, settings().who,
                          parse_datetime(at) if at is not None else None)
        events = svc.incident_json(incident, with_events=True)["timeline"]
    print_json({"id": incident_id, "timeline": events}) if json_out else _print_timeline(events, roc)


@app.command("done")
def done(
    incident_id: IdArg,
    clock_id: Annotated[str, typer.Argument(help="義務編號 Duty id, e.g. TW-MODA-DE-A08-report.")],
    note: Annotated[str, typer.Option("--note", help="如何完成 How it was done.")],
    at: Annotated[str | None, typer.Option("--at", help="完成時間 When (ISO; default now).")] = None,
    org: OrgOpt = None, json_out: JsonOpt = False,
) -> None:
    """登記義務已完成（如已通報）Record that a duty was met."""
    if not note.strip():
        raise GeziError("--note 不可空白 must not be empty")
    with reg() as session:
        incident = svc.get_incident(session, resolve_org(session, org), incident_id)
        duty = svc.mark_done(session, incident, clock_id, settings().who, note.strip(),
                             parse_datetime(at) if at is not None else None)
        late = bool(duty.due and duty.done_at and as_utc(duty.done_at) > as_utc(duty.due))
        doc = {**svc.duty_json(duty), "late": late}
    if json_out:
        print_json(doc)
    else:
        console.print(f"已登記完成 recorded {clock_id} at {doc['done_at']}"
                      + (" (逾期 late)" if late else ""))


@app.command("close")
def close(incident_id: IdArg,
          note: Annotated[str, typer.Option("--note", help="結案說明 Closing note.")],
          org: OrgOpt = None, json_out: JsonOpt = False) -> None:
    """結案（尚有未完成之法定義務時拒絕）Close an incident."""
    with reg() as session:
        incident = svc.get_incident(session, resolve_org(session, org), incident_id)
        svc.close_incident(session, incident, settings().who, note)
        doc = svc.incident_json(incident)
    print_json(doc) if json_out else console.print(f"事故 #{incident_id} 已結案 closed")


@app.command("due")
def due(
    within: Annotated[float, typer.Option(
        "--within", help="幾小時內到期（含已逾期）Due within this many hours (overdue included).")
    ] = 24.0,
    record_findings: Annotated[bool, typer.Option(
        "--record-findings", help="逾期者登錄為缺失 Record overdue duties as findings.")] = False,
    org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False,
) -> None:
    """即將到期與逾期之法定義務（供排程檢查）Binding duties due soon or overdue."""
    if within < 0:
        raise GeziError("--within 不可為負數 must not be negative")
    now = now_utc()
    with reg() as session:
        organization = resolve_org(session, org)
        duties = svc.open_duties(session, organization, timedelta(hours=within), now)
        created = svc.record_overdue(session, organization, duties, now) if record_findings else 0
        docs = [{"incident_id": d.incident_id, "incident": d.incident.title,
                 "overdue": as_utc(d.due) < now, **svc.duty_json(d)} for d in duties]
    if json_out:
        print_json({"now": now, "within_hours": within, "duties": docs,
                    "findings_created": created})
        return
    table("即將到期／逾期之法定義務 Duties due", ["事故", "義務 id", "期限 due", "逾期", "依據"],
          [[f"#{d['incident_id']} {d['incident']}", d["id"], _when(d["due"], roc),
            "逾期 overdue" if d["overdue"] else "", d["source"]] for d in docs])


@app.command("notice")
def notice(
    incident_id: IdArg,
    fmt: Annotated[str, typer.Option("--format", help="docx | pdf | html | txt")],
    out: Annotated[Path, typer.Option("--out", help="輸出檔案 Output file.")],
    on: Annotated[str | None, typer.Option(
        "--date", help="通知日期 Notice date (default today, Asia/Taipei; 113/05/31 ok).")] = None,
    org: OrgOpt = None, json_out: JsonOpt = False,
) -> None:
    """產製當事人通知書（民國日期），並存為證據 Write the notice to data subjects."""
    with reg() as session:
        organization = resolve_org(session, org)
        incident = svc.get_incident(session, organization, incident_id)
        notices.write_notice(organization, incident, fmt, out, parse_date(on) if on is not None else None)
        evidence = add_evidence(session, settings(), org_id=organization.id, path=out,
                                kind="incident_response", actor=settings().who,
                                title=f"事故 #{incident.id} 當事人通知書 ({fmt})")
        link_evidence(session, evidence, "incident", str(incident.id))
        svc.add_event(session, incident, "notice", f"產製當事人通知書 notice written ({fmt}, "
                      f"evidence #{evidence.id})", settings().who)
        doc = {"id": incident.id, "format": fmt, "out": str(out), "evidence_id": evidence.id,
               "sha256": evidence.sha256}
    print_json(doc) if json_out else console.print(f"已產製通知書 wrote {out}")


@app.command("notify")
def notify(
    incident_id: IdArg,
    recipients: Annotated[Path, typer.Option(
        "--recipients", help="CSV：email[,name]（UTF-8 或 Big5）Recipients file (UTF-8 or Big5).")],
    sender: Annotated[str, typer.Option("--from", help="寄件者 Sender address.")],
    smtp_host: Annotated[str, typer.Option("--smtp-host")] = "localhost",
    smtp_port: Annotated[int, typer.Option("--smtp-port")] = 25,
    rate: Annotated[str, typer.Option(
        "--rate", help="每秒封數 Messages per second, e.g. 5 or 5/s.")] = "5/s",
    starttls: Annotated[bool, typer.Option("--starttls", help="使用 STARTTLS.")] = False,
    smtp_user: Annotated[str | None, typer.Option(
        "--smtp-user", help="帳號；密碼取自 GEZI_SMTP_PASSWORD Login; password from env.")] = None,
    resend_uncertain: Annotated[bool, typer.Option(
        "--resend-uncertain", help="重寄結果不明者（請先查郵件伺服器紀錄）Resend rows a crashed "
        "run left uncertain — check the server log first. Refused while another run holds the "
        "incident's lease.")] = False,
    org: OrgOpt = None, json_out: JsonOpt = False,
) -> None:
    """以電子郵件寄送通知（可中斷續寄，不重複寄送）Send the notice by SMTP, resumable.

    Exit 0: everyone in the file is sent to (by this run or an earlier one).
    Exit 1: someone in it is not (failed, uncertain, stopped) — re-run to resume.
    Exit 2: nothing done (bad input, no SMTP server, another run holds the lease)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/s)?\s*", rate)
    if not match:
        raise GeziError(f"--rate 格式錯誤 use a number of messages per second, e.g. 5/s: {rate!r}")
    people = mailer.read_recipients(recipients)
    config = mailer.SmtpConfig(host=smtp_host, port=smtp_port, sender=sender,
                               rate=float(match.group(1)),
                               starttls=starttls, user=smtp_user,
                               password=os.environ.get("GEZI_SMTP_PASSWORD"))
    with reg() as session:
        organization = resolve_org(session, org)
        incident = svc.get_incident(session, organization, incident_id)
        report = mailer.send_notices(session, organization, incident, people.recipients, config,
                                     settings().who, resend_uncertain=resend_uncertain)
    doc = {"id": incident_id, **report.as_json(), "invalid_lines": people.invalid,
           "invalid_sample": people.invalid_sample, "duplicates": people.duplicates}
    if json_out:
        print_json(doc)
    else:
        console.print(f"本次寄出 sent {report.sent}；先前已寄 already {report.already_sent}；失敗 "
                      f"failed {report.failed}；結果不明 uncertain "
                      f"{report.uncertain + report.held_uncertain}；無效列 invalid {people.invalid}")
        if report.took_over_lease:
            console.print("前次執行的租約已過期，已接手 took over the expired lease of a previous run")
        if report.stopped:
            console.print(f"已中止 stopped: {report.error} — 重新執行即續寄 re-run to resume")
    if not report.all_sent:
        raise typer.Exit(1)


@app.command("deliveries")
def deliveries_cmd(incident_id: IdArg, org: OrgOpt = None, json_out: JsonOpt = False,
                   roc: RocOpt = False) -> None:
    """列出寄送紀錄（遮罩）List delivery records (masked recipients)."""
    with reg() as session:
        incident = svc.get_incident(session, resolve_org(session, org), incident_id)
        rows = [{"id": d.id, "recipient": d.recipient_masked, "status": d.status,
                 "attempts": d.attempts, "sending_at": d.sending_at, "sent_at": d.sent_at,
                 "error": d.error} for d in mailer.deliveries(session, incident)]
    if json_out:
        print_json({"id": incident_id, "deliveries": rows})
        return
    table("寄送紀錄 Deliveries", ["id", "收件人", "狀態", "次數", "寄出時間", "錯誤"],
          [[r["id"], r["recipient"], DELIVERY_STATUS_ZH[r["status"]], r["attempts"],
            _when(iso(r["sent_at"]), roc), r["error"]] for r in rows])


@app.command("settings")
def settings_cmd(
    csma: Annotated[bool | None, typer.Option(
        "--csma-specific-agency/--no-csma-specific-agency",
        help="本組織為資通安全管理法之特定非公務機關 Designated under the CSMA (1 h report).")] = None,
    advisory: Annotated[bool | None, typer.Option(
        "--show-advisory/--hide-advisory",
        help="列出尚未施行／草案之義務 List duties of rules not in force.")] = None,
    org: OrgOpt = None, json_out: JsonOpt = False,
) -> None:
    """事故相關組織設定 Organization settings that decide which clocks apply."""
    with reg() as session:
        organization = resolve_org(session, org)
        values = {k: v for k, v in ((svc.SETTING_CSMA, csma), (svc.SETTING_ADVISORY, advisory))
                  if v is not None}
        if values:
            update_org_settings(session, organization, **values)
        current = organization.settings or {}
        doc = {svc.SETTING_CSMA: bool(current.get(svc.SETTING_CSMA, False)),
               svc.SETTING_ADVISORY: bool(current.get(svc.SETTING_ADVISORY, True))}
    if json_out:
        print_json(doc)
    else:
        table("事故設定 Incident settings", ["設定 setting", "值 value"],
              [[k, v] for k, v in doc.items()])


def register(root: typer.Typer) -> None:
    """Add `gezi incidents`."""
    root.add_typer(app, name="incidents")
