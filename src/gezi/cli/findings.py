"""`gezi findings`: deficiencies (缺失) with owner, due date and status, tracked to closure."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, table
from gezi.cli.common import register as open_register
from gezi.compliance.findings import finding_dict, get_finding, list_findings, update_finding
from gezi.compliance.models import FINDING_SOURCE_ZH, FINDING_STATUS_ZH, SEVERITY_ZH
from gezi.core.timeutil import TAIPEI, now_utc, parse_date, show_date
from gezi.org.service import resolve_org

app = typer.Typer(help="缺失追蹤 Findings tracked to closure.", no_args_is_help=True)


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="open | in_progress | closed | accepted")] = None,
    source: Annotated[str | None, typer.Option(help="assessment | logwatch | pii | …")] = None,
    assessment: Annotated[int | None, typer.Option(help="評鑑編號 Assessment id.")] = None,
    overdue: Annotated[bool, typer.Option(help="只列逾期 Only overdue open findings.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """列出缺失 List findings (open first, then by due date)."""
    today = now_utc().astimezone(TAIPEI).date()
    with open_register() as session:
        o = resolve_org(session, org)
        docs = [finding_dict(f) for f in list_findings(session, o.id, status=status,
                                                       source=source, assessment_id=assessment)]
    for d in docs:
        d["overdue"] = bool(d["due_date"] and d["due_date"] < today
                            and d["status"] in ("open", "in_progress"))
    if overdue:
        docs = [d for d in docs if d["overdue"]]
    if json_out:
        print_json({"findings": docs})
        return
    table("缺失 Findings", ["id", "來源", "缺失", "風險等級", "負責人", "改善期限", "狀態"],
          [[d["id"], FINDING_SOURCE_ZH.get(d["source"], d["source"]), d["title"],
            SEVERITY_ZH.get(d["severity"], d["severity"]), d["owner"] or "",
            Text.assemble(show_date(d["due_date"], roc), (" 逾期", "red") if d["overdue"] else ""),
            FINDING_STATUS_ZH.get(d["status"], d["status"])] for d in docs])


@app.command("update")
def update(
    finding: Annotated[int, typer.Argument(help="缺失編號 Finding id.")],
    owner: Annotated[str | None, typer.Option(help="負責人 Owner.")] = None,
    due: Annotated[str | None, typer.Option(help="改善期限 Due date (YYYY-MM-DD or 115/03/31).")] = None,
    status: Annotated[str | None, typer.Option(help="open | in_progress | closed | accepted")] = None,
    severity: Annotated[str | None, typer.Option(help="low | medium | high | critical")] = None,
    resolution: Annotated[str | None, typer.Option(help="改善說明 Resolution.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """更新缺失 Assign, schedule or close a finding."""
    with open_register() as session:
        o = resolve_org(session, org)
        f = update_finding(session, get_finding(session, o.id, finding), owner=owner,
                           due_date=parse_date(due) if due is not None else None, status=status,
                           severity=severity, resolution=resolution)
        doc = finding_dict(f)
    if json_out:
        print_json(doc)
    else:
        console.print(f"缺失 #{doc['id']}: {FINDING_STATUS_ZH.get(doc['status'], doc['status'])}"
                      f"，負責人 {doc['owner'] or '—'}，改善期限 {show_date(doc['due_date'])}")


def register(root: typer.Typer) -> None:
    """Add `gezi findings`."""
    root.add_typer(app, name="findings")
