"""`gezi catalog`: the shipped catalogs (frameworks, code lists, mappings, evidence kinds)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from gezi.catalog.loader import load_catalogs
from gezi.catalog.schema import FREQUENCY_ZH, STATUS_ZH
from gezi.cli.common import JsonOpt, RocOpt, console, print_json, table
from gezi.core.errors import GeziError
from gezi.core.timeutil import show_date

app = typer.Typer(help="法規與框架目錄 Catalogs of requirements and code lists.",
                  no_args_is_help=True)


def _summary(obj, kind: str) -> dict:
    count = {"framework": lambda o: len(o.items), "codelist": lambda o: len(o.codes),
             "mapping": lambda o: len(o.groups), "evidence-kinds": lambda o: len(o.kinds)}[kind](obj)
    return {"id": obj.id, "kind": kind, "version": obj.version,
            "name": obj.name.zh, "name_en": obj.name.en,
            "status": getattr(obj, "status", None) or "in_force",
            "effective_from": getattr(obj, "effective_from", None),
            "effective_to": getattr(obj, "effective_to", None),
            "entries": count, "source": obj.source.citation,
            **({"complete": obj.complete} if kind == "codelist" else {})}


def _all() -> list[dict]:
    cats = load_catalogs()
    out = [_summary(o, "framework") for o in cats.frameworks.values()]
    out += [_summary(o, "codelist") for o in cats.codelists.values()]
    out += [_summary(o, "mapping") for o in cats.mappings.values()]
    out += [_summary(o, "evidence-kinds") for o in cats.evidence_kinds.values()]
    return sorted(out, key=lambda d: (d["kind"], d["id"]))


@app.command("list")
def list_cmd(json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出所有目錄 List every catalog with version, status and effective date."""
    docs = _all()
    if json_out:
        print_json({"catalogs": docs})
        return
    table("目錄 Catalogs", ["id", "類型", "版本", "名稱", "狀態", "生效日", "項目數"],
          [[d["id"], d["kind"], d["version"], d["name"], STATUS_ZH[d["status"]],
            show_date(d["effective_from"], roc), d["entries"]] for d in docs])


def _item_doc(fw, item) -> dict:
    return {"id": item.id, "domain": item.domain, "name": item.name.zh, "name_en": item.name.en,
            "requirement": item.requirement.zh, "frequency": item.frequency,
            "frequency_note": item.frequency_note,
            "status": item.status or fw.status or "in_force",
            "effective_from": item.effective_from or fw.effective_from,
            "applies_if": item.applies_if, "source": item.source.model_dump(exclude_none=True),
            "params": item.params}


@app.command("show")
def show(
    catalog_id: Annotated[str, typer.Argument(help="目錄 id, e.g. twse-broker-infosec")],
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """顯示目錄內容 Show a catalog's items with their sources."""
    cats = load_catalogs()
    if catalog_id in cats.frameworks:
        fw = cats.frameworks[catalog_id]
        doc = {**_summary(fw, "framework"),
               "domains": [{"id": d.id, "name": d.name.zh, "name_en": d.name.en}
                           for d in fw.domains],
               "items": [_item_doc(fw, i) for i in fw.items]}
        if json_out:
            print_json(doc)
            return
        console.print(Text.assemble((fw.name.zh, "bold"), f" ({fw.name.en or ''}) v{fw.version} — "
                                    f"{STATUS_ZH[doc['status']]}，生效 {show_date(fw.effective_from, roc)}"))
        console.print(f"來源 source: {fw.source.citation}")
        names = {d.id: d.name.zh for d in fw.domains}
        table(None, ["構面", "項目", "名稱", "頻率", "來源"],
              [[names[i.domain], i.id, i.name.zh,
                FREQUENCY_ZH.get(i.frequency or "", "") + (f"（{i.frequency_note}）"
                                                           if i.frequency_note else ""),
                i.source.citation] for i in fw.items])
        return
    if catalog_id in cats.codelists:
        cl = cats.codelists[catalog_id]
        doc = {**_summary(cl, "codelist"), "expected_count": cl.expected_count,
               "allow_free_text": cl.allow_free_text, "completeness_note": cl.completeness_note,
               "codes": [{"code": c.code, "name": c.name.zh, "name_en": c.name.en,
                          "source": c.source.citation if c.source else cl.source.citation}
                         for c in cl.codes]}
        if json_out:
            print_json(doc)
            return
        console.print(Text.assemble((cl.name.zh, "bold"), f" v{cl.version} — {len(cl.codes)} codes"
                                    + ("" if cl.complete else f"（不完整 incomplete; 應有 {cl.expected_count}）")))
        if cl.completeness_note:
            console.print(cl.completeness_note)
        table(None, ["代碼", "名稱", "來源"], [[c["code"], c["name"], c["source"]]
                                              for c in doc["codes"]])
        return
    if catalog_id in cats.mappings:
        mp = cats.mappings[catalog_id]
        doc = {**_summary(mp, "mapping"),
               "groups": [g.model_dump() | {"name": g.name.zh} for g in mp.groups]}
        if json_out:
            print_json(doc)
            return
        table(mp.name.zh, ["對應群組", "名稱", "項目"],
              [[g.id, g.name.zh, "\n".join(g.items)] for g in mp.groups])
        return
    if catalog_id in cats.evidence_kinds:
        ek = cats.evidence_kinds[catalog_id]
        doc = {**_summary(ek, "evidence-kinds"),
               "kinds": [{"code": k.code, "name": k.name.zh, "name_en": k.name.en,
                          "retention_years": k.retention_years, "source": k.source.citation}
                         for k in ek.kinds]}
        if json_out:
            print_json(doc)
            return
        table(ek.name.zh, ["代碼", "名稱", "保存年限", "來源"],
              [[k["code"], k["name"], k["retention_years"], k["source"]] for k in doc["kinds"]])
        return
    raise GeziError(f"未知的目錄 unknown catalog {catalog_id!r}; known: {', '.join(cats.all_ids())}")


def register(root: typer.Typer) -> None:
    """Add `gezi catalog`."""
    root.add_typer(app, name="catalog")
