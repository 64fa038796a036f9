"""`gezi assess`: assessments against a framework, with results, evidence, scores and export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as open_register
from gezi.compliance.assessments import (
    close_assessment,
    get_assessment,
    list_assessments,
    set_result,
    start_assessment,
)
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.compliance.models import RESULT_ZH
from gezi.compliance.views import assessment_view
from gezi.core.timeutil import parse_date, show_date
from gezi.org.service import resolve_org
from gezi.reports.assessment_xlsx import export_assessment

app = typer.Typer(help="評鑑 Assessments against a framework.", no_args_is_help=True)


@app.command("start")
def start(
    framework: Annotated[str, typer.Option("--framework", help="框架 id, see `gezi catalog list`.")],
    period: Annotated[str | None, typer.Option(help="評鑑期間 e.g. 2026 or 2026H1.")] = None,
    title: Annotated[str | None, typer.Option(help="標題 Title.")] = None,
    force: Annotated[bool, typer.Option(help="框架不適用時仍評鑑 Assess even if not applicable.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """開始評鑑 Start an assessment of a framework for a period."""
    with open_register() as session:
        a = start_assessment(session, resolve_org(session, org), framework, period, title, force)
        doc = {"id": a.id, "framework": a.framework_id, "version": a.framework_version,
               "period": a.period}
    if json_out:
        print_json(doc)
    else:
        console.print(f"已開始評鑑 started assessment #{doc['id']} ({doc['framework']} "
                      f"v{doc['version']}, {doc['period']})")


@app.command("set")
def set_cmd(
    assessment: Annotated[int, typer.Argument(help="評鑑編號 Assessment id.")],
    item: Annotated[str, typer.Argument(help="項目編號 Item id, e.g. AC-4.")],
    result: Annotated[str, typer.Option("--result", help="compliant | partial | noncompliant | na")],
    note: Annotated[str | None, typer.Option(help="說明 Note.")] = None,
    evidence: Annotated[list[Path] | None, typer.Option(
        "--evidence", help="佐證檔案 Evidence file (repeatable).")] = None,
    evidence_kind: Annotated[str, typer.Option(help="證據類型 Evidence kind code.")] = "other_record",
    owner: Annotated[str | None, typer.Option(help="缺失負責人 Finding owner.")] = None,
    due: Annotated[str | None, typer.Option(help="改善期限 Finding due date.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄評鑑結果與佐證 Record a verdict with note and evidence."""
    s = settings()
    for path in evidence or []:
        if not path.is_file():
            from gezi.core.errors import GeziError

            raise GeziError(f"找不到證據檔案 evidence file not found: {path}")
    with open_register() as session:
        a = get_assessment(session, assessment)
        row = set_result(session, a, item, result, note, s.who, owner,
                         parse_date(due) if due is not None else None)
        stored = []
        for path in evidence or []:
            ev = add_evidence(session, s, org_id=a.org_id, path=path, kind=evidence_kind,
                              actor=s.who)
            link_evidence(session, ev, "assessment_item", f"{a.id}:{row.item_id}")
            stored.append({"id": ev.id, "filename": ev.filename, "sha256": ev.sha256})
        doc = {"assessment": a.id, "item": row.item_id, "result": row.result, "note": row.note,
               "evidence": stored}
    if json_out:
        print_json(doc)
    else:
        console.print(f"#{assessment} {doc['item']}: {RESULT_ZH[doc['result']]}"
                      + (f"，佐證 {len(stored)} 件" if stored else ""))


@app.command("show")
def show(
    assessment: Annotated[int, typer.Argument(help="評鑑編號 Assessment id.")],
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """顯示評鑑結果與分數 Show items, verdicts, evidence and scores."""
    with open_register() as session:
        view = assessment_view(session, get_assessment(session, assessment))
    if json_out:
        print_json(view)
        return
    console.print(Text.assemble((view["title"], "bold"), f" — {view['org']['name']} "
                                f"({view['framework']['id']} v{view['framework']['version']}, "
                                f"開始 {show_date(view['started_at'], roc)})"))
    table(None, ["構面", "項目", "名稱", "結果", "佐證", "說明"],
          [[i["domain_name"], i["id"], i["name"], RESULT_ZH.get(i["result"] or "", "—"),
            len(i["evidence"]) or "", i["note"] or ""] for i in view["items"]])
    print_scores(view["scores"])


def print_scores(s: dict) -> None:
    """Print the per-domain score table (shared with `gezi demo`)."""
    rows = [[d["name"], d["applicable"], d["compliant"], d["partial"], d["noncompliant"], d["na"],
             d["unassessed"], "—" if d["score"] is None else f"{d['score']}%"]
            for d in s["domains"]]
    o = s["overall"]
    rows.append([Text("整體 overall", style="bold"), o["applicable"], o["compliant"], o["partial"],
                 o["noncompliant"], o["na"], o["unassessed"],
                 "—" if o["score"] is None else f"{o['score']}%"])
    table("構面分數 Scores by domain (不適用不計 na excluded)",
          ["構面", "項目數", "符合", "部分符合", "不符合", "不適用", "未評鑑", "分數"], rows)
    if "deduction_points" in s:
        console.print(f"查核缺失扣分 deduction points: {s['deduction_points']}")
    if "risk_block" in s:
        console.print(f"風險區塊 risk block: {s['risk_block']['name']}（{s['risk_block']['note']}）")


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出評鑑 List assessments of an organization."""
    with open_register() as session:
        o = resolve_org(session, org)
        docs = []
        for a in list_assessments(session, o):
            v = assessment_view(session, a)
            docs.append({"id": a.id, "framework": a.framework_id, "version": a.framework_version,
                         "period": a.period, "status": a.status, "started_at": a.started_at,
                         "score": v["scores"]["overall"]["score"],
                         "unassessed": v["scores"]["overall"]["unassessed"]})
    if json_out:
        print_json({"assessments": docs})
        return
    table("評鑑 Assessments", ["id", "框架", "期間", "狀態", "分數", "未評鑑", "開始"],
          [[d["id"], d["framework"], d["period"], d["status"],
            "—" if d["score"] is None else f"{d['score']}%", d["unassessed"],
            show_date(d["started_at"], roc)] for d in docs])


@app.command("close")
def close(assessment: Annotated[int, typer.Argument(help="評鑑編號 Assessment id.")],
          json_out: JsonOpt = False) -> None:
    """結束評鑑 Close an assessment (results become read-only)."""
    with open_register() as session:
        a = close_assessment(session, get_assessment(session, assessment))
        doc = {"id": a.id, "status": a.status, "closed_at": a.closed_at}
    if json_out:
        print_json(doc)
    else:
        console.print(f"評鑑 #{assessment} 已結束 closed")


@app.command("export")
def export(
    assessment: Annotated[int, typer.Argument(help="評鑑編號 Assessment id.")],
    xlsx: Annotated[Path, typer.Option("--xlsx", help="輸出 Excel 檔 Output workbook.")],
    roc: RocOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """匯出評鑑結果 Export the assessment as an Excel workbook."""
    with open_register() as session:
        view = assessment_view(session, get_assessment(session, assessment))
    export_assessment(view, xlsx, roc)
    if json_out:
        print_json({"id": view["id"], "xlsx": xlsx, "items": len(view["items"])})
    else:
        console.print(f"已匯出 exported {xlsx}")


def register(root: typer.Typer) -> None:
    """Add `gezi assess`."""
    root.add_typer(app, name="assess")
