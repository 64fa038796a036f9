"""`gezi inventory`: the personal-data inventory (個資檔案清冊) built from PII scans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import (
    JsonOpt,
    OrgOpt,
    RocOpt,
    console,
    err_console,
    print_json,
    settings,
    table,
)
from gezi.cli.common import (
    register as reg,
)
from gezi.cli.pii import parse_entities
from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, now_utc, show_date
from gezi.org.service import resolve_org
from gezi.pii import inventory as inv

app = typer.Typer(help="個資檔案清冊 Personal-data inventory: scan, complete, export.",
                  no_args_is_help=True)

EntitiesOpt = Annotated[str | None, typer.Option(
    "--entities", help="只找這些種類（逗號分隔） Only these entity types, comma-separated.")]
ExcludeOpt = Annotated[list[str] | None, typer.Option(
    "--exclude", help="目錄中不掃描符合的檔案或資料夾（萬用字元，依名稱或相對路徑，可重複；登錄於該筆個資檔案，"
                      "rescan 沿用） Leave out files and folders matching a glob, by name or path "
                      "below the directory (repeatable); kept with the entry and applied again by "
                      "rescan, e.g. --exclude .git --exclude 'backup/*'.")]


def _globs(exclude: list[str] | None) -> tuple[str, ...]:
    """The --exclude globs, empty ones dropped and each once, in the order given."""
    return tuple(dict.fromkeys(g for g in exclude or () if g))


def _print_recorded(results: list[dict], skipped: list[dict]) -> None:
    rows = [[r["id"], "新增" if r["created"] else "更新", r["name"], r["records"],
             "、".join(f"{k} {v}" for k, v in sorted(r["counts"].items())) or "無個資",
             (r["flag"] or {}).get("title", "")] for r in results]
    table("盤點結果 Inventory update", ["id", "動作", "個資檔案", "筆數", "偵測 detected", "警示 flag"],
          rows)
    if skipped:
        err_console.print(f"略過 {len(skipped)} 個檔案 skipped files, e.g. {skipped[0]}")


@app.command("add-scan")
def add_scan(
    paths: Annotated[list[Path], typer.Argument(help="檔案或目錄 Files or directories to scan.")],
    org: OrgOpt = None,
    per_file: Annotated[bool, typer.Option(
        "--per-file", help="目錄中每個含個資的檔案各為一筆 One entry per file with PII "
        "(default: one entry per directory).")] = False,
    entities: EntitiesOpt = None,
    exclude: ExcludeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """掃描並登錄個資檔案 Scan paths and create/update 個資檔案 entries."""
    from gezi.pii.scan import iter_scan

    wanted = parse_entities(entities)
    globs = _globs(exclude)
    for path in paths:
        if not path.exists():
            raise GeziError(f"找不到路徑 no such file or directory: {path}")
    with reg() as session:
        resolve_org(session, org)  # fail before a long scan, not after it
    seen_at = now_utc()
    locations, skipped, scanned = [], [], 0
    for path in paths:  # scan outside any register transaction: scans can take long
        root = path.resolve()
        pieces = iter_scan([root], entities=wanted, exclude=globs)
        if json_out or not err_console.is_terminal:
            found, files, gaps = inv.locations_from_scan(pieces, root, per_file, wanted, globs)
        else:
            with err_console.status(f"掃描中 scanning {path} …"):
                found, files, gaps = inv.locations_from_scan(pieces, root, per_file, wanted, globs)
        scanned += files
        skipped += gaps
        locations += found
    with reg() as session:
        organization = resolve_org(session, org)
        results = [inv.record_location(session, organization, loc, seen_at) for loc in locations]
        if per_file:  # rescan walks these directories again for files added since
            for path in paths:
                if path.is_dir():
                    inv.record_scan_dir(session, organization, path.resolve(), globs, seen_at)
    if json_out:
        print_json({"entries": results, "files_scanned": scanned, "files_skipped": skipped})
    else:
        _print_recorded(results, skipped)


@app.command("add-db")
def add_db(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the database to scan.")],
    org: OrgOpt = None,
    sample: Annotated[int, typer.Option(help="每個資料表抽樣列數 Rows sampled per table.")] = 1000,
    full: Annotated[bool, typer.Option("--full", help="掃描全部列 Scan every row.")] = False,
    entities: EntitiesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """掃描資料庫並登錄每個含個資的資料表 Scan a database; one entry per table."""
    from gezi.pii.scan import scan_database

    if sample < 1:
        raise GeziError("--sample 須為正整數 must be a positive number")
    wanted = parse_entities(entities)
    with reg() as session:
        resolve_org(session, org)
    result = scan_database(url, sample=sample, full=full, entities=wanted)
    counts = inv.table_row_counts(url, result["tables"])
    seen_at = now_utc()
    with reg() as session:
        organization = resolve_org(session, org)
        results = [inv.record_location(session, organization, loc, seen_at)
                   for loc in inv.locations_from_db(result, counts, wanted)]
    if json_out:
        print_json({"entries": results})
    else:
        _print_recorded(results, [])


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", help="個資檔案名稱 Name, e.g. 紙本會員申請書.")],
    location: Annotated[str, typer.Option(
        "--location", help="存放位置 Where it is kept, e.g. 總公司二樓檔案櫃 or a SaaS name.")],
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """人工登錄無法掃描之個資檔案 Add a 個資檔案 no scan reaches (paper, external systems)."""
    with reg() as session:
        entry = inv.add_manual_entry(session, resolve_org(session, org), name=name,
                                     location=location)
        doc = inv.entry_dict(entry)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已登錄個資檔案 added entry #{doc['id']} {doc['name']}；請以 "
                      f"`gezi inventory set {doc['id']} --category … --purpose …` 補填")


@app.command("rescan")
def rescan(
    org: OrgOpt = None,
    db_url: Annotated[list[str] | None, typer.Option(
        "--db-url", help="含密碼之資料庫網址（已登錄之資料庫） Full URL of an inventoried "
        "database (stored locations hide the password), repeatable.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """重新盤點清冊中所有位置 Re-scan every location of the inventory (e.g. from cron)."""
    from gezi.pii.scan import iter_scan, scan_database

    with reg() as session:
        organization = resolve_org(session, org)
        plan = inv.plan_rescan(inv.list_entries(session, organization), db_url or [],
                               inv.list_scan_dirs(session, organization))
    # With the inventoried directory walked, or database scanned, where a new entry is flagged.
    locations: list[tuple[inv.LocationScan, Path | str | None]] = []
    skipped: list[dict] = []
    listed, walked = {str(p) for p, _ in plan.paths}, set()
    for root, globs in plan.dirs:  # first: their walk also re-scans the files listed in them
        found, gaps, seen = inv.locations_from_dir_rescan(root, globs, listed, frozenset(walked))
        walked |= seen
        skipped += gaps
        locations += [(loc, root) for loc in found]
    for path, globs in plan.paths:
        if str(path) in walked:
            continue
        found, _files, gaps = inv.locations_from_scan(iter_scan([path], exclude=globs), path,
                                                      per_file=False, exclude=globs)
        skipped += gaps
        locations += [(loc, None) for loc in found]
    for url, stored in plan.databases.items():
        result = scan_database(url)
        counts = inv.table_row_counts(url, result["tables"])
        locations += [(loc, stored) for loc in inv.locations_from_db(result, counts,
                                                                      keep=plan.db_locations)]
    seen_at = now_utc()
    with reg() as session:
        organization = resolve_org(session, org)
        results = [inv.record_location(session, organization, loc, seen_at, new_in=root)
                   for loc, root in locations]
        for root, globs in plan.dirs:
            inv.record_scan_dir(session, organization, root, globs, seen_at)
    new = [r for r in results if r["created"] and r["flag"]]
    new_files = [r for r in new if r["location_kind"] != "db_table"]
    new_tables = [r for r in new if r["location_kind"] == "db_table"]
    doc = {"entries": results, "new_files": new_files, "new_tables": new_tables,
           "missing": plan.missing, "unreachable": plan.unreachable, "files_skipped": skipped}
    if json_out:
        print_json(doc)
        return
    _print_recorded(results, skipped)
    for r in new_files:
        err_console.print(f"新檔案含個資，請補填 new file with personal data, fill it in: "
                          f"#{r['id']} {r['location']}", style="bold")
    for r in new_tables:
        err_console.print(f"新資料表含個資，請補填 new table with personal data, fill it in: "
                          f"#{r['id']} {r['location']}", style="bold")
    for gone in plan.missing:
        err_console.print(f"位置已不存在 location gone: {gone}")
    for stored in plan.unreachable:
        err_console.print(f"未重新掃描（需 --db-url 提供密碼） not re-scanned, pass --db-url: {stored}")


@app.command("forget-dir")
def forget_dir(
    directory: Annotated[Path, typer.Argument(help="以 add-scan --per-file 登錄之目錄 A directory "
                                              "remembered by add-scan --per-file (may be gone).")],
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """不再追蹤目錄之新檔案 Stop rescan from walking a --per-file directory for new files.

    The entries of its files stay in the inventory; the change is on the audit trail.
    """
    with reg() as session:
        gone = inv.forget_scan_dir(session, resolve_org(session, org), directory)
        doc = {"forgotten": gone.location, "exclude": gone.exclude,
               "entries_kept": [{"id": e.id, "name": e.name, "location": e.location}
                                for e in gone.entries]}
    if json_out:
        print_json(doc)
        return
    console.print(f"已停止追蹤目錄 no longer walked for new files: {gone.location}；其中已登錄之 "
                  f"{len(gone.entries)} 筆個資檔案保留於清冊，rescan 仍逐檔重新盤點 "
                  f"({len(gone.entries)} entries of its files stay and are still re-scanned)")


def _dir_doc(row: inv.PdScanDir) -> dict:
    """A remembered directory as JSON."""
    return {"location": row.location, "exclude": list(row.exclude or []),
            "last_scanned_at": row.last_scanned_at}


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出個資檔案 List the 個資檔案 of the inventory (and the directories walked for new files)."""
    with reg() as session:
        organization = resolve_org(session, org)
        docs = [inv.entry_dict(e) for e in inv.list_entries(session, organization)]
        dirs = [_dir_doc(d) for d in inv.list_scan_dirs(session, organization)]
    if json_out:
        print_json({"entries": docs, "scan_dirs": dirs})
        return
    table("個資檔案清冊 Personal-data inventory",
          ["id", "名稱", "位置", "類別", "筆數", "特定目的", "最後盤點", "待確認"],
          [[d["id"], d["name"], d["location"],
            "、".join(c.get("code") or c.get("text") for c in d["categories"]) or "無個資",
            d["records"], "、".join(p.get("code") or p.get("text") for p in d["purposes"]),
            show_date(d["last_scanned_at"], roc),
            "；".join(filter(None, ["未登錄類別 " + "、".join(d["undeclared_categories"])
                                   if d["undeclared_categories"] else "",
                                   "待補填 " + "、".join(d["missing"]) if d["missing"] else ""]))]
           for d in docs])
    if dirs:
        table("逐檔登錄之目錄（rescan 找新檔案） Directories walked for new files",
              ["目錄 directory", "排除 excluded", "最後盤點"],
              [[d["location"], "、".join(d["exclude"]), show_date(d["last_scanned_at"], roc)]
               for d in dirs])


@app.command("show")
def show(entry_id: Annotated[int, typer.Argument(help="個資檔案 id")], org: OrgOpt = None,
         json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """顯示一筆個資檔案 Show one 個資檔案 with its detected entities."""
    with reg() as session:
        doc = inv.entry_dict(inv.get_entry(session, resolve_org(session, org), entry_id))
    if json_out:
        print_json(doc)
        return

    def codes(items: list[dict]) -> str:
        return "、".join(f"{i['code']} {i.get('name', '')}" if "code" in i else i["text"]
                        for i in items)

    table(f"個資檔案 #{doc['id']} {doc['name']}", ["欄位", "值"], [
        ["存放位置 location", doc["location"]],
        ["排除（不掃描） excluded", "、".join(doc["exclude"])],
        ["保有單位 owner unit", doc["owner_unit"]],
        ["個人資料類別 categories", codes(doc["categories"]) or "無個資"],
        ["掃描偵測類別 detected", codes(doc["detected_categories"])],
        ["特定目的 purposes", codes(doc["purposes"])],
        ["法律依據 legal basis", codes(doc["legal_bases"])],
        ["蒐集方式 collection", doc["collection_method"]], ["保存期限 retention", doc["retention"]],
        ["利用對象 recipients", doc["recipients"]], ["國際傳輸 cross-border", doc["cross_border"]],
        ["委外廠商 vendor", doc["vendor"]], ["筆數 records", doc["records"]],
        ["首次發現 first seen", show_date(doc["first_seen"], roc)],
        ["最後盤點 last scanned", show_date(doc["last_scanned_at"], roc)],
        ["待補填 missing", "、".join(doc["missing"])]])
    table("偵測到之個資 Detected entities", ["種類", "類別", "數量", "遮罩樣本", "首次", "最近"],
          [[e["entity"], e["category"] or "", e["count"], "、".join(e["samples"]),
            show_date(e["first_seen"], roc), show_date(e["last_seen"], roc)]
           for e in doc["entities"]])


@app.command("set")
def set_cmd(
    entry_id: Annotated[int, typer.Argument(help="個資檔案 id")],
    org: OrgOpt = None,
    name: Annotated[str | None, typer.Option(help="個資檔案名稱 Name.")] = None,
    owner_unit: Annotated[str | None, typer.Option(help="保有單位 Owning unit.")] = None,
    purpose: Annotated[list[str] | None, typer.Option(
        "--purpose", help="特定目的代碼（可重複；清單允許時可用文字） Purpose code, repeatable.")] = None,
    legal_basis: Annotated[list[str] | None, typer.Option(
        "--legal-basis", help="法律依據 19-1-1 … 19-1-8 (個資法第19條第1項各款), repeatable.")] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", help="個人資料類別代碼，如 C001（可重複） Category code, repeatable.")] = None,
    no_pii: Annotated[bool, typer.Option("--no-pii", help="登錄為無個資 Declare: no personal data.")]
    = False,
    collection_method: Annotated[str | None, typer.Option(help="蒐集方式 How it is collected.")] = None,
    retention: Annotated[str | None, typer.Option(help="保存期限 Retention period.")] = None,
    recipients: Annotated[str | None, typer.Option(help="利用對象 Who receives or uses it.")] = None,
    cross_border: Annotated[str | None, typer.Option(
        help="國際傳輸（國家／對象，或「無」） Cross-border transfer.")] = None,
    vendor: Annotated[str | None, typer.Option(help="委外廠商 Processor / vendor.")] = None,
    note: Annotated[str | None, typer.Option(help="備註 Note.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """填寫個資檔案之登錄事項 Fill in what the organization declares about a 個資檔案."""
    with reg() as session:
        entry = inv.get_entry(session, resolve_org(session, org), entry_id)
        inv.update_entry(session, entry, name=name, owner_unit=owner_unit, purposes=purpose,
                         legal_bases_=legal_basis, categories=category, no_pii=no_pii,
                         collection_method=collection_method, retention=retention,
                         recipients=recipients, cross_border=cross_border, vendor=vendor,
                         note=note)
        doc = inv.entry_dict(entry)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已更新個資檔案 updated entry #{doc['id']} {doc['name']}")


@app.command("export")
def export(
    xlsx: Annotated[Path, typer.Option("--xlsx", help="輸出檔 Output .xlsx file.")],
    org: OrgOpt = None,
    roc: RocOpt = False,
    evidence: Annotated[bool, typer.Option(
        "--evidence", help="同時存為證據（其他必要紀錄） Also keep the workbook as evidence.")]
    = False,
    json_out: JsonOpt = False,
) -> None:
    """匯出個人資料檔案清冊 Export the inventory as an Excel workbook (zh-TW headers)."""
    from gezi.compliance.evidence import add_evidence
    from gezi.pii.inventory_xlsx import export_xlsx

    s = settings()
    when = now_utc()
    doc: dict = {}
    with reg() as session:
        organization = resolve_org(session, org)
        entries = inv.list_entries(session, organization)
        path = export_xlsx(entries, organization, xlsx, roc=roc, when=when)
        doc = {"path": str(path), "entries": len(entries), "evidence_id": None}
        if evidence:
            ev = add_evidence(session, s, org_id=organization.id, path=path, kind="other_record",
                              actor=s.who, title=f"個人資料檔案清冊 {show_date(when, roc)}",
                              effective_date=when.astimezone(TAIPEI).date())
            doc.update(evidence_id=ev.id, sha256=ev.sha256)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已匯出 {len(entries)} 筆個資檔案 exported to {path}"
                      + (f"（證據 evidence #{doc['evidence_id']}）" if evidence else ""))


def register(root: typer.Typer) -> None:
    """Add `gezi inventory`."""
    root.add_typer(app, name="inventory")
