"""`gezi requests`: data-subject requests (當事人權利行使) on the PDPA Art 13 clock."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as reg
from gezi.compliance.evidence import evidence_for
from gezi.core.timeutil import now_utc, parse_datetime, show_date
from gezi.org.service import resolve_org
from gezi.privacy import requests as svc
from gezi.privacy.clocks import REQUEST_TYPES

app = typer.Typer(help="當事人權利行使 Data-subject requests (PDPA Art 3, 13).", no_args_is_help=True)

STATUS_ZH = {"open": "處理中", "closed": "已結案"}
IdArg = Annotated[int, typer.Argument(help="請求編號 Request id.")]


def _show(doc: dict, roc: bool) -> None:
    flag = "【逾期 OVERDUE】" if doc["overdue"] and doc["status"] == "open" else ""
    console.print(f"請求 request #{doc['id']} {doc['type_zh']} ({doc['type']}) {doc['subject']} "
                  f"— 期限 due {show_date(doc['due'], roc)} ({doc['source']}) {flag}")


@app.command("new")
def new(
    request_type: Annotated[str, typer.Option("--type", help=" | ".join(REQUEST_TYPES))],
    received: Annotated[str, typer.Option("--received", help="收件時間 ISO 8601 (no offset = Asia/Taipei).")],
    subject: Annotated[str, typer.Option("--subject", help="當事人姓名 Data subject (stored masked).")],
    contact: Annotated[str | None, typer.Option(
        "--contact", help="聯絡電子郵件或電話 E-mail or phone (stored masked + keyed digest).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="受理管道 e.g. web, email, counter.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """登錄請求並計算處理期限 Register a request; its due moment comes from the clock catalog."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        req = svc.new_request(session, s, o, request_type=request_type,
                              received_at=parse_datetime(received), subject=subject,
                              contact=contact, channel=channel, actor=s.who)
        doc = svc.request_dict(req)
    if json_out:
        print_json(doc)
    else:
        _show(doc, roc)


@app.command("verify-identity")
def verify_identity(
    request_id: IdArg,
    method: Annotated[str, typer.Option("--method", help="確認方式 e.g. 臨櫃核對身分證、會員登入、電話回撥.")],
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄身分確認 Record how the requester's identity was verified."""
    s = settings()
    with reg() as session:
        req = svc.get_request(session, resolve_org(session, org), request_id)
        doc = svc.request_dict(svc.verify_identity(session, req, method, s.who))
    if json_out:
        print_json(doc)
    else:
        console.print(f"已確認身分 identity verified for request #{request_id}: {doc['identity_method']}")


@app.command("extend")
def extend(
    request_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="延長原因（將以書面通知當事人）Written reason.")],
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """延長處理期限一次並產生書面通知 Extend once; the notice (text + DOCX) is kept as evidence."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        req = svc.get_request(session, o, request_id)
        text, evidence = svc.extend_request(session, s, o, req, reason, s.who)
        doc = svc.request_dict(req)
        doc["notice"] = {"text": text, "evidence": [{"id": e.id, "filename": e.filename, "sha256": e.sha256}
                                                    for e in evidence]}
    if json_out:
        print_json(doc)
    else:
        _show(doc, roc)
        console.print(text)
        console.print("通知已存為證據 notice stored as evidence: "
                      + ", ".join(f"#{e['id']} {e['filename']}" for e in doc["notice"]["evidence"]))


@app.command("close")
def close(
    request_id: IdArg,
    decision: Annotated[str, typer.Option("--decision", help="granted | partially | refused")],
    reason: Annotated[str | None, typer.Option("--reason", help="理由（拒絕或部分准予時必填）Reason.")] = None,
    fee: Annotated[int | None, typer.Option("--fee", help="收取費用 NT$ (only query/view/copy, Art 14).")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """結案：記錄准駁決定 Close with a decision; the handling record is kept as evidence."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        req = svc.get_request(session, o, request_id)
        ev = svc.close_request(session, s, o, req, decision, reason, s.who, fee=fee)
        doc = svc.request_dict(req)
        doc["record_evidence_id"] = ev.id
    # A granted deletion: offer, not perform, the audit-trail erasure (docs/audit.md) — it is
    # irreversible, needs its own stated legal basis, and comes after the data is deleted at source.
    erase_hint = None
    if req.request_type == "delete" and decision in ("granted", "partially"):
        erase_hint = f"gezi audit erase --request {request_id} --reason \"個資法第11條 當事人請求刪除\""
    if json_out:
        print_json(doc | ({"audit_erase": erase_hint} if erase_hint else {}))
    else:
        late = "（逾期 late）" if doc["overdue"] else ""
        console.print(f"已結案 closed request #{request_id}: {decision}{late}; 處理紀錄 record evidence #{ev.id}")
        if erase_hint:
            console.print(f"刪除稽核軌跡中的個資 erase the subject's values on the audit trail: {erase_hint}")


@app.command("list")
def list_cmd(
    due_within: Annotated[int | None, typer.Option(
        "--due-within", help="只列 N 日內到期（含逾期）之未結案請求 Open requests due within N days.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="含已結案 Include closed requests.")] = False,
    subject: Annotated[str | None, typer.Option("--subject", help="只列此當事人 Only this subject.")] = None,
    record_findings: Annotated[bool, typer.Option(
        "--record-findings", help="逾期未結案者登錄為缺失 Record overdue open requests as findings.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """列出請求與到期 List requests by due moment; overdue ones are flagged."""
    s = settings()
    now = now_utc()
    with reg() as session:
        o = resolve_org(session, org)
        rows = svc.list_requests(session, o, due_within=due_within, include_closed=all_, now=now,
                                 subject_digest=svc.subject_digest(s, subject) if subject is not None else None)
        made = svc.record_overdue_findings(session, o, rows, now) if record_findings else 0
        docs = [svc.request_dict(r, now) for r in rows]
    if json_out:
        print_json({"requests": docs, "overdue": sum(1 for d in docs if d["overdue"] and d["status"] == "open"),
                    "findings_created": made})
        return
    table("當事人權利行使 Data-subject requests", ["id", "類型", "當事人", "收件", "期限", "狀態", "延長", "逾期"],
          [[d["id"], d["type_zh"], d["subject"], show_date(d["received_at"], roc),
            show_date(d["due"], roc), STATUS_ZH[d["status"]], "是" if d["extended"] else "",
            "逾期" if d["overdue"] and d["status"] == "open" else ""] for d in docs])
    if record_findings:
        console.print(f"新增缺失 findings created: {made}")


@app.command("show")
def show(request_id: IdArg, org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """顯示請求與處理經過 Show a request, its handling and its evidence."""
    with reg() as session:
        req = svc.get_request(session, resolve_org(session, org), request_id)
        doc = svc.request_dict(req)
        doc["evidence"] = [{"id": e.id, "filename": e.filename, "kind": e.kind, "sha256": e.sha256}
                           for e in evidence_for(session, svc.TARGET, [str(req.id)]).get(str(req.id), [])]
    if json_out:
        print_json(doc)
        return
    _show(doc, roc)
    table(None, ["欄位", "值"], [[k, show_date(v, roc) if isinstance(v, datetime) else v]
                                 for k, v in doc.items() if k != "evidence"])
    for e in doc["evidence"]:
        console.print(f"證據 evidence #{e['id']} {e['filename']} ({e['kind']})")


def register(root: typer.Typer) -> None:
    """Add `gezi requests`."""
    root.add_typer(app, name="requests")
