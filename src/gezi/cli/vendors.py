"""`gezi vendors`: the vendor register (委外監督, PDPA Enforcement Rules Art 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as reg
from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc, parse_date, show_date
from gezi.org.service import resolve_org
from gezi.privacy import vendors as svc
from gezi.privacy.clocks import taipei_day

app = typer.Typer(help="委外監督 Vendor register and supervision (ER Art 8).", no_args_is_help=True)

KIND_ZH = {"review": "定期確認", "certification": "驗證到期", "contract_end": "契約到期", "checklist": "契約監督事項",
           "selection": "選商評估", "termination": "委託終止"}
VendorArg = Annotated[str, typer.Argument(help="受託者編號或名稱 Vendor id or name.")]
DateOpt = Annotated[str | None, typer.Option("--on", help="日期 Date (YYYY-MM-DD or 113/05/31; default today).")]
FileOpt = Annotated[Path | None, typer.Option("--file", help="佐證檔案（存為證據）Report to keep as evidence.")]


def _date(text: str | None):
    return parse_date(text) if text is not None else None  # an empty --on is an error, not today


def _today():
    return taipei_day(now_utc())


@app.command("items")
def items(json_out: JsonOpt = False) -> None:
    """列出監督項目、確認方式、選商評估項目與驗證標準 Show the catalog."""
    cat = svc.catalog()
    doc = {
        "supervision_items": [{"group": g, "code": i.code, "name": i.name.zh,
                               "source": i.source.citation if i.source else None} for g, i in cat.checklist()],
        "review_methods": [m.code for m in cat.review.methods],
        "default_review_interval_months": cat.review.default_interval_months,
        "selection_criteria": [{"code": c.code, "name": c.name.zh} for c in cat.selection.criteria],
        "ratings": cat.selection.ratings,
        "certifications": [{"code": c.code, "name": c.name.zh} for c in cat.certifications],
    }
    if json_out:
        print_json(doc)
        return
    table("監督項目 Supervision checklist", ["code", "項目", "出處"],
          [[d["code"], d["name"], d["source"]] for d in doc["supervision_items"]])


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="受託者名稱 Vendor name.")],
    service: Annotated[str, typer.Option("--service", help="委託範圍 What the vendor does with personal data.")],
    ubn: Annotated[str | None, typer.Option("--ubn", help="統一編號 UBN.")] = None,
    contract_start: Annotated[str | None, typer.Option("--contract-start", help="契約起日 Contract start.")] = None,
    contract_end: Annotated[str | None, typer.Option("--contract-end", help="契約迄日 Contract end.")] = None,
    review_every: Annotated[int | None, typer.Option(
        "--review-every", help="定期確認間隔（月）Review interval in months (default from the catalog).")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """登錄受託者 Register a vendor."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.add_vendor(session, o, name=name, service=service, ubn=ubn, actor=s.who,
                           contract_start=_date(contract_start), contract_end=_date(contract_end),
                           review_months=review_every)
        doc = svc.vendor_status(session, v, _today())
    if json_out:
        print_json(doc)
    else:
        console.print(f"已登錄受託者 registered vendor #{doc['id']} {doc['name']}; "
                      f"下次定期確認 next review {doc['next_review_due']}")


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出受託者 List vendors with their open points."""
    today = _today()
    with reg() as session:
        o = resolve_org(session, org)
        docs = [svc.vendor_status(session, v, today) for v in svc.list_vendors(session, o)]
    if json_out:
        print_json({"vendors": docs})
        return
    table("受託者 Vendors", ["id", "名稱", "委託範圍", "契約迄日", "下次確認", "未約定項目", "選商評估"],
          [[d["id"], d["name"], d["service"], show_date(d["contract_end"], roc),
            show_date(d["next_review_due"], roc) + (" 逾期" if d["review_overdue"] else ""),
            len(d["missing_items"]), "有" if d["selection"] else "缺"] for d in docs])


@app.command("show")
def show(vendor: VendorArg, org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """顯示受託者監督狀況 Show a vendor's checklist, certifications, reviews and selection."""
    with reg() as session:
        o = resolve_org(session, org)
        doc = svc.vendor_status(session, svc.get_vendor(session, o, vendor), _today())
    if json_out:
        print_json(doc)
        return
    console.print(f"受託者 #{doc['id']} {doc['name']} — {doc['service']}")
    table("監督項目 Checklist", ["code", "項目", "狀態", "條款"],
          [[c["code"], c["name"], svc.STATE_ZH[c["state"]], c["clause"]] for c in doc["checklist"]])
    table("驗證 Certifications", ["標準", "證號", "有效期限", "已過期"],
          [[c["standard"], c["certificate_no"], show_date(c["valid_until"], roc), "是" if c["expired"] else ""]
           for c in doc["certifications"]])
    table("定期確認 Reviews", ["日期", "方式", "結果", "說明"],
          [[show_date(r["reviewed_on"], roc), r["method"], r["result"], r["note"]] for r in doc["reviews"]])
    console.print(f"下次定期確認 next review: {show_date(doc['next_review_due'], roc)}"
                  + (" 【逾期 OVERDUE】" if doc["review_overdue"] else ""))


@app.command("check")
def check(
    vendor: VendorArg,
    item: Annotated[str, typer.Option("--item", help="監督項目代碼 Item code (see `gezi vendors items`).")],
    state: Annotated[str, typer.Option("--state", help="agreed | missing | na")],
    clause: Annotated[str | None, typer.Option("--clause", help="契約條款 e.g. 第7條.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄契約是否約定監督項目 Record whether the contract covers a supervision item."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.get_vendor(session, o, vendor)
        svc.check_item(session, v, item, state, s.who, clause=clause, note=note)
        doc = svc.vendor_status(session, v, _today())
    if json_out:
        print_json(doc)
    else:
        console.print(f"{doc['name']}: {item} = {svc.STATE_ZH[state]}; 未約定 missing: "
                      f"{', '.join(doc['missing_items']) or '無 none'}")


@app.command("cert")
def cert(
    vendor: VendorArg,
    standard: Annotated[str, typer.Option("--standard", help="iso27001 | iso27701 | bs10012 | other")],
    valid_until: Annotated[str, typer.Option("--valid-until", help="有效期限 Expiry date.")],
    number: Annotated[str | None, typer.Option("--number", help="證書編號 Certificate number.")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="驗證機構 Certification body.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄受託者之驗證 Record a certification and its expiry."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.get_vendor(session, o, vendor)
        c = svc.add_certification(session, v, standard=standard, valid_until=parse_date(valid_until),
                                  certificate_no=number, issuer=issuer, actor=s.who)
        doc = {"id": c.id, "vendor_id": v.id, "standard": c.standard, "valid_until": c.valid_until,
               "certificate_no": c.certificate_no or None, "issuer": c.issuer}
    if json_out:
        print_json(doc)
    else:
        console.print(f"已記錄驗證 recorded {standard} for {v.name}, valid until {doc['valid_until']}")


@app.command("review")
def review(
    vendor: VendorArg,
    method: Annotated[str, typer.Option("--method", help="onsite_audit | self_assessment | third_party_cert | …")],
    result: Annotated[str, typer.Option("--result", help="satisfactory | issues | unsatisfactory")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    on: DateOpt = None,
    file: FileOpt = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄定期確認結果 Record a periodic confirmation (ER Art 8 III)."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.get_vendor(session, o, vendor)
        svc.add_review(session, s, o, v, method=method, result=result, note=note, file=file,
                       reviewed_on=_date(on) or _today(), actor=s.who)
        doc = svc.vendor_status(session, v, _today())
    if json_out:
        print_json(doc)
    else:
        console.print(f"已記錄定期確認 review recorded for {v.name}; 下次 next {doc['next_review_due']}")


@app.command("select")
def select(
    vendor: VendorArg,
    rate: Annotated[list[str], typer.Option(
        "--rate", help="評估項目=評等[:說明] e.g. financial_status=adequate:近三年獲利 (repeat).")],
    decision: Annotated[str, typer.Option("--decision", help="selected | conditional | rejected")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    on: DateOpt = None,
    file: FileOpt = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄選商風險評估（財務狀況、專業能力…）Record the selection risk assessment."""
    ratings, notes = {}, {}
    for entry in rate:
        code, sep, rest = entry.partition("=")
        if not sep:
            raise GeziError(f"--rate 格式應為 項目=評等 expected CRITERION=RATING, got {entry!r}")
        rating, _, text = rest.partition(":")
        ratings[code.strip()] = rating.strip()
        if text.strip():
            notes[code.strip()] = text.strip()
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.get_vendor(session, o, vendor)
        row = svc.add_selection(session, s, o, v, ratings=ratings, notes=notes, decision=decision, note=note,
                                file=file, assessed_on=_date(on) or _today(), actor=s.who)
        doc = {"id": row.id, "vendor_id": v.id, "assessed_on": row.assessed_on, "ratings": row.ratings,
               "decision": row.decision, "evidence_id": row.evidence_id}
    if json_out:
        print_json(doc)
    else:
        console.print(f"已記錄選商評估 selection assessment recorded for {v.name}: {decision}")


@app.command("terminate")
def terminate(
    vendor: VendorArg,
    returned: Annotated[bool | None, typer.Option(
        "--returned/--not-returned", help="已返還個資載體 Carriers returned (unchanged when not given).")] = None,
    deleted: Annotated[bool | None, typer.Option(
        "--deleted/--not-deleted", help="受託者已刪除所存個資 Stored data deleted (unchanged when not given).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    on: DateOpt = None,
    file: FileOpt = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """終止委託並記錄返還與刪除 End the entrustment; record return and deletion (ER Art 8 I(6))."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        v = svc.terminate_vendor(session, s, o, svc.get_vendor(session, o, vendor), returned=returned,
                                 deleted=deleted, note=note, file=file, terminated_on=_date(on) or _today(),
                                 actor=s.who)
        doc = svc.vendor_status(session, v, _today())
    if json_out:
        print_json(doc)
        return
    console.print(f"已終止委託 terminated {doc['name']} on {doc['termination']['on']}")
    if not (doc["termination"]["data_returned"] and doc["termination"]["data_deleted"]):
        console.print("提醒：尚未確認返還載體及刪除資料 return/deletion not confirmed — it stays on `vendors due`")


@app.command("due")
def due(
    within: Annotated[int, typer.Option("--within", help="N 日內到期 Due within N days.")] = 30,
    record_findings: Annotated[bool, typer.Option(
        "--record-findings", help="逾期者登錄為缺失 Record overdue items as findings.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """待辦提醒：定期確認、驗證到期、契約到期、缺漏 Reminders for vendor supervision."""
    with reg() as session:
        o = resolve_org(session, org)
        items_ = svc.reminders(session, o, _today(), within)
        made = svc.record_findings(session, o, items_) if record_findings else 0
    if json_out:
        print_json({"reminders": items_, "overdue": sum(1 for r in items_ if r["overdue"]),
                    "findings_created": made})
        return
    table(f"受託者待辦 Vendor reminders (≤ {within} 日)", ["受託者", "事項", "到期", "逾期", "說明"],
          [[r["vendor"], KIND_ZH.get(r["kind"], r["kind"]), show_date(r["due"], roc), "逾期" if r["overdue"] else "",
            r["detail"]] for r in items_])
    if record_findings:
        console.print(f"新增缺失 findings created: {made}")


def register(root: typer.Typer) -> None:
    """Add `gezi vendors`."""
    root.add_typer(app, name="vendors")
