"""`gezi org`: organization profiles."""

from __future__ import annotations

from typing import Annotated

import typer

from gezi.catalog.applicability import applicable_items, framework_applies
from gezi.catalog.loader import load_catalogs
from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, table
from gezi.cli.common import register as reg
from gezi.core.timeutil import show_date
from gezi.org.models import Organization
from gezi.org.service import add_org, list_orgs, resolve_org, update_org

app = typer.Typer(help="組織基本資料 Organization profiles.", no_args_is_help=True)

# Profile facts that decide which catalog items apply (add and update take the same options).
CapitalOpt = Annotated[int | None, typer.Option(help="實收資本額 Paid-in capital, NT$.")]
RecordsOpt = Annotated[int | None, typer.Option(help="保有個資筆數 Personal-data records.")]
TierOpt = Annotated[int | None, typer.Option(help="證券商級別 Broker tier 1|2|3.")]
ShareOpt = Annotated[float | None, typer.Option(help="電子交易比重 E-trading share, percent.")]

INDUSTRY_ZH = {"ecommerce": "電子商務", "broker": "證券商", "listed": "上市櫃公司",
               "government": "公務機關", "other": "其他"}


def org_dict(org: Organization) -> dict:
    """The profile as a JSON-ready dict, with the frameworks that apply to it."""
    cats = load_catalogs()
    facts = org.facts()
    applicable = [
        {"id": fw.id, "items": len(applicable_items(fw, facts))}
        for fw in cats.frameworks.values() if framework_applies(fw, facts)
    ]
    return {"id": org.id, "name": org.name, "ubn": org.ubn, "industry": org.industry,
            "capital": org.capital, "records": org.records, "broker_tier": org.broker_tier,
            "e_trading_share": org.e_trading_share, "created_at": org.created_at,
            "settings": org.settings or {}, "frameworks": applicable}


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="組織名稱 Organization name.")],
    ubn: Annotated[str, typer.Option("--ubn", help="統一編號 (8 digits, mod-5 checked).")],
    industry: Annotated[str, typer.Option(
        "--industry", help="ecommerce | broker | listed | government | other")],
    capital: CapitalOpt = None,
    records: RecordsOpt = None,
    broker_tier: TierOpt = None,
    e_trading_share: ShareOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """新增組織 Add an organization."""
    with reg() as session:
        org = add_org(session, name=name, ubn=ubn, industry=industry, capital=capital,
                      records=records, broker_tier=broker_tier, e_trading_share=e_trading_share)
        doc = org_dict(org)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已新增組織 added organization #{doc['id']} {doc['name']} ({doc['ubn']})")


@app.command("update")
def update(
    org: OrgOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="組織名稱 Organization name.")] = None,
    industry: Annotated[str | None, typer.Option(
        "--industry", help="ecommerce | broker | listed | government | other")] = None,
    capital: CapitalOpt = None,
    records: RecordsOpt = None,
    broker_tier: TierOpt = None,
    e_trading_share: ShareOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """更新組織基本資料 Update a profile (e.g. records or e-trading share change the applicable items)."""
    with reg() as session:
        o = update_org(session, resolve_org(session, org), name=name, industry=industry,
                       capital=capital, records=records, broker_tier=broker_tier,
                       e_trading_share=e_trading_share)
        doc = org_dict(o)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已更新組織 updated organization #{doc['id']} {doc['name']} ({doc['ubn']})")


@app.command("list")
def list_cmd(json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出組織 List organizations."""
    with reg() as session:
        docs = [org_dict(o) for o in list_orgs(session)]
    if json_out:
        print_json({"organizations": docs})
        return
    table("組織 Organizations", ["id", "名稱", "統一編號", "產業別", "適用框架", "建立日期"],
          [[d["id"], d["name"], d["ubn"], INDUSTRY_ZH[d["industry"]],
            ", ".join(f["id"] for f in d["frameworks"]), show_date(d["created_at"], roc)]
           for d in docs])


@app.command("show")
def show(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """顯示組織基本資料與適用框架 Show a profile and the frameworks that apply."""
    with reg() as session:
        doc = org_dict(resolve_org(session, org))
    if json_out:
        print_json(doc)
        return
    rows = [["名稱 name", doc["name"]], ["統一編號 UBN", doc["ubn"]],
            ["產業別 industry", INDUSTRY_ZH[doc["industry"]]],
            ["資本額 capital (NT$)", f"{doc['capital']:,}" if doc["capital"] is not None else ""],
            ["個資筆數 records", f"{doc['records']:,}" if doc["records"] is not None else ""],
            ["證券商級別 broker tier", doc["broker_tier"]],
            ["電子交易比重 e-trading %", doc["e_trading_share"]],
            ["建立 created", show_date(doc["created_at"], roc)]]
    table(f"組織 #{doc['id']}", ["欄位", "值"], rows)
    table("適用框架 Applicable frameworks", ["框架 framework", "適用項目數 items"],
          [[f["id"], f["items"]] for f in doc["frameworks"]])


def register(root: typer.Typer) -> None:
    """Add `gezi org`."""
    root.add_typer(app, name="org")
