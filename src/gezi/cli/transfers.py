"""`gezi transfers`: cross-border transfers (國際傳輸) and the foreign-regime assessment helper."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as reg
from gezi.core.errors import GeziError
from gezi.core.timeutil import now_utc, parse_date, parse_datetime, show_date
from gezi.org.service import resolve_org
from gezi.privacy import transfers as svc
from gezi.privacy.clocks import taipei_day

app = typer.Typer(help="國際傳輸 Cross-border transfers and foreign-law indicators.", no_args_is_help=True)

RegimeOpt = Annotated[str, typer.Option("--regime", help="gdpr | ccpa | cbpr")]
OnOpt = Annotated[str | None, typer.Option("--on", help="評估基準日 Day whose rules apply (default today).")]


def _day(text: str | None):
    return parse_date(text) if text is not None else taipei_day(now_utc())  # empty --on: an error


@app.command("add")
def add(
    inventory: Annotated[str, typer.Option("--inventory", help="個資檔案（清冊編號或名稱）Inventory id or name.")],
    destination: Annotated[str, typer.Option("--destination", help="目的地國家代碼 ISO 3166 code, e.g. US, SG.")],
    recipient: Annotated[str, typer.Option("--recipient", help="接收者 Recipient.")],
    purpose: Annotated[str, typer.Option("--purpose", help="傳輸原因 Purpose.")],
    categories: Annotated[str | None, typer.Option("--categories", help="資料類別 Data categories.")] = None,
    basis: Annotated[str | None, typer.Option("--basis", help="依據 Legal basis / contract.")] = None,
    method: Annotated[str | None, typer.Option("--method", help="方法 e.g. API, SFTP, 雲端儲存.")] = None,
    safeguards: Annotated[str | None, typer.Option("--safeguards", help="保護措施 Safeguards.")] = None,
    risk_analysis: Annotated[str | None, typer.Option(
        "--risk-analysis", help="傳輸前影響及風險分析 Impact and risk analysis (seed 000 五、6).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="開始傳輸日 First transfer date.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄國際傳輸（並存為證據）Record a transfer; the record is also kept as evidence."""
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        t = svc.record_transfer(session, s, o, inventory=inventory, destination=destination, recipient=recipient,
                                purpose=purpose, data_categories=categories, legal_basis=basis, method=method,
                                safeguards=safeguards, risk_analysis=risk_analysis,
                                started_on=parse_date(since) if since is not None else None, actor=s.who)
        doc = svc.transfer_dict(t)
    if json_out:
        print_json(doc)
        return
    linked = f"清冊 #{doc['pd_file_id']}" if doc["pd_file_id"] else "未列入清冊 not in the inventory"
    console.print(f"已記錄國際傳輸 recorded transfer #{doc['id']}: {doc['inventory']} ({linked}) → "
                  f"{doc['destination']} {doc['recipient']}")
    if not doc["risk_analysis_recorded"]:
        console.print("提醒：尚未記錄傳輸前影響及風險分析 no risk analysis recorded (seed 000 五、6)")


@app.command("list")
def list_cmd(
    inventory: Annotated[str | None, typer.Option("--inventory", help="只列此個資檔案 Only this file.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """列出國際傳輸 List transfers with their latest assessment per regime."""
    with reg() as session:
        o = resolve_org(session, org)
        docs = []
        for t in svc.list_transfers(session, o, inventory):
            doc = svc.transfer_dict(t)
            latest: dict[str, dict] = {}
            for a in svc.assessments_of(session, o, t.id):
                latest.setdefault(a.regime, {"id": a.id, "result": a.result, "rule_version": a.rule_version})
            doc["assessments"] = latest
            docs.append(doc)
    if json_out:
        print_json({"transfers": docs})
        return
    table("國際傳輸 Transfers", ["id", "個資檔案", "目的地", "接收者", "風險分析", "評估", "開始"],
          [[d["id"], d["inventory"], d["destination"], d["recipient"], "有" if d["risk_analysis_recorded"] else "缺",
            ", ".join(f"{k}:{v['result']}" for k, v in d["assessments"].items()), show_date(d["started_on"], roc)]
           for d in docs])


@app.command("indicators")
def indicators(regime: RegimeOpt, on: OnOpt = None, json_out: JsonOpt = False) -> None:
    """列出評估指標 Show the questions the helper asks for a regime."""
    qs = svc.questions(regime, _day(on))
    if json_out:
        print_json({"regime": regime, "questions": qs})
        return
    table(f"{regime} 指標 indicators", ["id", "類型", "問題"], [[q["id"], q["kind"], q["question"]] for q in qs])


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise GeziError(f"--set 格式應為 KEY=VALUE expected KEY=VALUE, got {v!r}")
        out[key.strip()] = val
    return out


def _prompt(regime: str, day, given: dict[str, str]) -> dict[str, str]:
    """Walk the remaining questions on a terminal; Enter leaves a question unanswered."""
    answers = dict(given)
    for q in svc.questions(regime, day):
        if q["id"] in answers:
            continue
        hint = "yes/no" if q["kind"] == "bool" else "數字 number"
        reply = typer.prompt(f"{q['question']} ({hint}, Enter = 不知道)", default="", show_default=False,
                             err=True)
        if reply.strip():
            answers[q["id"]] = reply
    return answers


@app.command("assess")
def assess(
    regime: RegimeOpt,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="指標=答案 FACT=VALUE, e.g. eu_delivery=yes, annual_revenue_usd=30000000 (repeat).")] = None,
    transfer: Annotated[int | None, typer.Option("--transfer", help="關聯之國際傳輸 Transfer id.")] = None,
    destination: Annotated[str | None, typer.Option("--destination", help="目的地（cbpr）Country code.")] = None,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="逐項詢問未回答之指標 Ask the remaining questions.")] = False,
    on: OnOpt = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """逐項評估指標並保存結果與理由 Walk a regime's indicators; the result and reasoning are stored."""
    day = _day(on)
    pairs = _pairs(set_ or [])
    if interactive:
        if not sys.stdin.isatty():
            raise GeziError("--interactive 需要終端機 needs a terminal; use --set KEY=VALUE")
        pairs = _prompt(regime, day, pairs)
    answers = svc.parse_answers(regime, pairs, day)
    s = settings()
    with reg() as session:
        o = resolve_org(session, org)
        t = svc.get_transfer(session, o, transfer) if transfer is not None else None
        dest = svc.country_code(destination) if destination is not None else (t.destination if t else None)
        outcome = svc.assess(regime, answers, day, dest)
        row = svc.save_assessment(session, o, outcome, answers | ({"destination": dest} if dest else {}), s.who, t)
        doc = svc.assessment_dict(row)
    if json_out:
        print_json(doc)
        return
    console.print(f"評估 assessment #{doc['id']} {regime} ({doc['rule_version']}): 結果 result = {doc['result']}")
    for line in doc["reasoning"]:
        console.print(f"  - {line}")


@app.command("assessments")
def assessments(
    transfer: Annotated[int | None, typer.Option("--transfer", help="只列此國際傳輸 Only this transfer.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """列出已保存之評估 List stored assessments."""
    with reg() as session:
        docs = [svc.assessment_dict(a) for a in svc.assessments_of(session, resolve_org(session, org), transfer)]
    if json_out:
        print_json({"assessments": docs})
        return
    table("評估 Assessments", ["id", "傳輸", "類型", "版本", "結果", "評估者", "時間"],
          [[d["id"], d["transfer_id"], d["regime"], d["rule_version"], d["result"], d["assessed_by"],
            show_date(parse_datetime(d["assessed_at"]))] for d in docs])


def register(root: typer.Typer) -> None:
    """Add `gezi transfers`."""
    root.add_typer(app, name="transfers")
