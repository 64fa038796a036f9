"""`gezi evidence`: content-addressed evidence files (SHA-256) with kind, dates and owner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as open_register
from gezi.compliance.evidence import (
    add_evidence,
    evidence_dict,
    evidence_kinds,
    list_evidence,
    verify_evidence,
)
from gezi.core.timeutil import parse_date, show_date
from gezi.org.service import resolve_org

app = typer.Typer(help="證據留存 Evidence files, hashed and kept.", no_args_is_help=True)


@app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="證據檔案 Files to keep as evidence.")],
    kind: Annotated[str, typer.Option("--kind", help="證據類型 (see `gezi evidence kinds`).")],
    title: Annotated[str | None, typer.Option(help="標題 Title.")] = None,
    owner: Annotated[str | None, typer.Option(help="負責人 Owner.")] = None,
    effective: Annotated[str | None, typer.Option(help="生效日 Effective date.")] = None,
    expiry: Annotated[str | None, typer.Option(help="到期日 Expiry (default: retention).")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """新增證據 Store files as evidence (content-addressed, SHA-256)."""
    s = settings()
    eff = parse_date(effective) if effective is not None else None
    exp = parse_date(expiry) if expiry is not None else None
    with open_register() as session:
        o = resolve_org(session, org)
        docs = [evidence_dict(add_evidence(session, s, org_id=o.id, path=p, kind=kind,
                                           actor=s.who, title=title, owner=owner,
                                           effective_date=eff, expiry_date=exp))
                for p in files]
    if json_out:
        print_json({"evidence": docs})
    else:
        for d in docs:
            console.print(f"已保存 stored #{d['id']} {d['filename']} sha256={d['sha256']}")


@app.command("list")
def list_cmd(kind: Annotated[str | None, typer.Option(help="證據類型 Kind.")] = None,
             org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出證據 List evidence, newest first."""
    kinds = evidence_kinds()
    with open_register() as session:
        docs = [evidence_dict(e) for e in list_evidence(session, resolve_org(session, org).id,
                                                        kind)]
    if json_out:
        print_json({"evidence": docs})
        return
    table("證據 Evidence", ["id", "檔名", "類型", "生效日", "到期日", "SHA-256"],
          [[d["id"], d["filename"], kinds[d["kind"]].name.zh if d["kind"] in kinds else d["kind"],
            show_date(d["effective_date"], roc), show_date(d["expiry_date"], roc),
            d["sha256"][:16] + "…"] for d in docs])


@app.command("kinds")
def kinds_cmd(json_out: JsonOpt = False) -> None:
    """列出證據類型 List evidence kinds and their retention."""
    kinds = evidence_kinds()
    docs = [{"code": k.code, "name": k.name.zh, "name_en": k.name.en,
             "retention_years": k.retention_years, "source": k.source.citation}
            for k in kinds.values()]
    if json_out:
        print_json({"kinds": docs})
        return
    table("證據類型 Evidence kinds", ["代碼", "名稱", "保存年限", "來源"],
          [[d["code"], d["name"], d["retention_years"], d["source"]] for d in docs])


@app.command("verify")
def verify(org: OrgOpt = None, json_out: JsonOpt = False) -> None:
    """驗證證據完整性 Re-hash every evidence file; exit 1 if any changed or vanished."""
    s = settings()
    with open_register() as session:
        org_id = resolve_org(session, org).id if org else None
        checks = verify_evidence(session, s, org_id)
    bad = [c for c in checks if c.status != "ok"]
    if json_out:
        print_json({"ok": not bad, "checked": len(checks),
                    "problems": [{"id": c.evidence_id, "filename": c.filename,
                                  "status": c.status} for c in bad]})
    else:
        for c in bad:
            label = {"changed": "已變更 changed", "missing": "遺失 missing"}.get(
                c.status, "無法讀取 unreadable")
            console.print(f"#{c.evidence_id} {c.filename}: {label}", style="red")
        console.print(f"已檢查 {len(checks)} 件證據 checked; 異常 {len(bad)} problems")
    if bad:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add `gezi evidence`."""
    root.add_typer(app, name="evidence")
