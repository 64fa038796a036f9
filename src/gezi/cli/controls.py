"""`gezi controls`: controls linked to items of several frameworks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, console, print_json, settings, table
from gezi.cli.common import register as open_register
from gezi.compliance.controls import (
    add_control,
    control_dict,
    get_control,
    link_control,
    list_controls,
)
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.org.service import resolve_org

app = typer.Typer(help="控制措施 Controls that satisfy items across frameworks.",
                  no_args_is_help=True)


@app.command("add")
def add(
    code: Annotated[str, typer.Option("--code", help="控制措施代碼 e.g. LOG-DAILY.")],
    name: Annotated[str, typer.Option("--name", help="名稱 e.g. 每日檢視登入失敗紀錄.")],
    description: Annotated[str | None, typer.Option(help="說明 Description.")] = None,
    frequency: Annotated[str | None, typer.Option(help="daily | monthly | annual | …")] = None,
    owner: Annotated[str | None, typer.Option(help="負責人 Owner.")] = None,
    link: Annotated[list[str] | None, typer.Option(
        "--link", help="FRAMEWORK:ITEM to link (repeatable).")] = None,
    with_mapped: Annotated[bool, typer.Option(
        help="一併連結對應項目 Also link items mapped as equivalent.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """新增控制措施 Add a control (optionally linked to items)."""
    with open_register() as session:
        o = resolve_org(session, org)
        c = add_control(session, o, code=code, name=name, description=description,
                        frequency=frequency, owner=owner)
        for ref in link or []:
            link_control(session, c, ref, with_mapped)
        session.refresh(c)
        doc = control_dict(session, c)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已新增控制措施 added control {doc['code']}，連結 {len(doc['links'])} 項")


@app.command("link")
def link(
    control: Annotated[str, typer.Argument(help="控制措施代碼或 id.")],
    refs: Annotated[list[str], typer.Argument(help="FRAMEWORK:ITEM … e.g. twse-broker-infosec:NS-14")],
    with_mapped: Annotated[bool, typer.Option(
        help="一併連結對應項目 Also link items mapped as equivalent.")] = False,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """連結控制措施與框架項目 Link a control to items (one control, many frameworks)."""
    with open_register() as session:
        c = get_control(session, resolve_org(session, org), control)
        added = [r for ref in refs for r in link_control(session, c, ref, with_mapped)]
        session.refresh(c)
        doc = control_dict(session, c) | {"added": added}
    if json_out:
        print_json(doc)
    else:
        console.print(f"{doc['code']}: 新連結 {len(added)} 項 linked {', '.join(added) or '—'}")


@app.command("attach")
def attach(
    control: Annotated[str, typer.Argument(help="控制措施代碼或 id.")],
    files: Annotated[list[Path], typer.Argument(help="佐證檔案 Evidence files.")],
    kind: Annotated[str, typer.Option(help="證據類型 Evidence kind code.")] = "other_record",
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """附加佐證到控制措施（顯示於所有連結項目）Attach evidence to a control."""
    s = settings()
    with open_register() as session:
        o = resolve_org(session, org)
        c = get_control(session, o, control)
        for path in files:
            ev = add_evidence(session, s, org_id=o.id, path=path, kind=kind, actor=s.who)
            link_evidence(session, ev, "control", str(c.id))
        doc = control_dict(session, c)
    if json_out:
        print_json(doc)
    else:
        console.print(f"{doc['code']}: 佐證 {len(doc['evidence'])} 件，顯示於 {len(doc['links'])} 個項目")


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False) -> None:
    """列出控制措施 List controls with their links and evidence."""
    with open_register() as session:
        docs = [control_dict(session, c) for c in list_controls(session, resolve_org(session, org))]
    if json_out:
        print_json({"controls": docs})
        return
    table("控制措施 Controls", ["代碼", "名稱", "頻率", "負責人", "連結項目", "佐證"],
          [[d["code"], d["name"], d["frequency"] or "", d["owner"] or "", "\n".join(d["links"]),
            len(d["evidence"])] for d in docs])


def register(root: typer.Typer) -> None:
    """Add `gezi controls`."""
    root.add_typer(app, name="controls")
