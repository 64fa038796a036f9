"""`gezi pii`: find personal data in files, directories, archives and databases."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from gezi.cli.common import JsonOpt, console, err_console, print_json, print_json_stream, table
from gezi.core.errors import GeziError
from gezi.core.fsnames import printable
from gezi.pii.masking import masked_label, partial
from gezi.pii.model import PiiFinding, finding_json
from gezi.pii.registry import get_registry

app = typer.Typer(help="個資探索 Find personal data in files and databases.", no_args_is_help=True)

EntitiesOpt = Annotated[str | None, typer.Option(
    "--entities", help="只找這些類型（逗號分隔） Only these entity types, comma-separated, "
    "e.g. TW_NATIONAL_ID,PHONE_NUMBER.")]
ShowOpt = Annotated[bool, typer.Option(
    "--show-values", help="顯示原始值（預設遮蔽） Show raw values (masked by default).")]
_HUMAN_LIMIT = 200
_FILES_SHOWN = 50
_PROGRESS_MIN_BYTES = 8 << 20


def parse_entities(value: str | None) -> set[str] | None:
    """The --entities option as a set, checked against the registry."""
    if not value:
        return None
    wanted = {e.strip().upper() for e in value.split(",") if e.strip()}
    unknown = wanted - get_registry().entities
    if unknown:
        known = ", ".join(sorted(get_registry().entities))
        raise GeziError(f"未知的類型 unknown entity {', '.join(sorted(unknown))}; known: {known}")
    return wanted


def _summary(files: int, skipped: list[dict], scanned_bytes: int, by_entity: Counter[str],
             by_file: dict[str, Counter[str]]) -> dict:
    """Counts of a scan: files, bytes, findings per entity and per file (the files that hold
    personal data, most findings first), skipped files with reasons."""
    return {"files_scanned": files, "files_skipped": len(skipped), "bytes_scanned": scanned_bytes,
            "findings": sum(by_entity.values()), "by_entity": dict(sorted(by_entity.items())),
            "by_file": [{"path": printable(path), "findings": sum(counts.values()),
                         "by_entity": dict(sorted(counts.items()))}
                        for path, counts in sorted(by_file.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))],
            "skipped": [{**item, "path": printable(item["path"])} for item in skipped]}


def _shown(f: PiiFinding, show_values: bool) -> PiiFinding:
    """``f`` with personal data in its column (a header cell, a sheet name) masked, unless the
    user asked for values."""
    if show_values or not f.column:
        return f
    column = masked_label(f.column)
    return f if column == f.column else f._replace(column=column)


def _where(f: PiiFinding) -> str:
    if f.row is not None:
        return f"row {f.row} [{f.column}] {f.start}-{f.end}"
    if f.line is not None:
        return f"line {f.line}:{f.start}-{f.end}" + (f" [{f.column}]" if f.column else "")
    return f"[{f.column}] {f.start}-{f.end}"


@app.command("scan")
def scan(
    paths: Annotated[list[Path], typer.Argument(help="檔案或目錄 Files or directories.")],
    entities: EntitiesOpt = None,
    show_values: ShowOpt = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="平行處理程序數 Parallel processes (default: CPU count).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="略過符合的檔案或目錄（萬用字元，可重複） Leave out files and directories "
                          "matching a glob, by name or path below the given directory "
                          "(repeatable), e.g. --exclude .git --exclude '*.bak'.")] = None,
    min_score: Annotated[float, typer.Option(
        "--min-score", min=0.0, max=1.0,
        help="只列出分數不低於此值的發現 Only findings scored at least this (0–1).")] = 0.0,
    fail_on_findings: Annotated[bool, typer.Option(
        "--fail-on-findings", help="有發現時結束碼為 1（供 CI 檢查測試資料） Exit 1 when anything "
                                   "is found (for CI checks of test data).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """掃描檔案中的個資 Scan files (TXT/log, CSV/TSV, XLSX/XLS/ODS, JSON/JSONL, DOCX/ODT/PPTX, PDF, ZIP, EML/MBOX)."""
    from gezi.pii.scan import iter_files

    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise GeziError(f"找不到路徑 path not found: {', '.join(missing)}")
    wanted = parse_entities(entities)
    globs = tuple(exclude or ())
    total = sum(size for _, size in iter_files(paths, [], globs))
    options = _ScanOptions(wanted, workers, globs, min_score)
    # Findings are written out (JSON, to a temporary file until the summary is known) or kept
    # only as many as the table shows: memory does not grow with the number of findings.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        if total >= _PROGRESS_MIN_BYTES and err_console.is_terminal:
            with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                          TimeRemainingColumn(), console=err_console, transient=True) as bar:
                task = bar.add_task("掃描中 scanning", total=total)
                tally = _collect(paths, options, json_out, show_values, spool,
                                 progress=lambda done, _t: bar.update(task, completed=done))
        else:
            tally = _collect(paths, options, json_out, show_values, spool)
        summary = tally.summary()
        if json_out:
            spool.seek(0)
            print_json_stream({"summary": summary}, "findings", (line.rstrip("\n") for line in spool),
                              serialized=True)
            _exit_on_findings(fail_on_findings, summary)
            return
    rows = [[f.path, _where(_shown(f, show_values)), f.entity, f"{f.score:.2f}",
             f.value if show_values else partial(f.entity, f.value)] for f in tally.shown]
    if rows:
        table("個資發現 PII findings", ["檔案 path", "位置 where", "類型 entity", "分數 score",
                                        "值 value"], rows)
    if summary["findings"] > _HUMAN_LIMIT:
        console.print(f"… 另有 {summary['findings'] - _HUMAN_LIMIT} 筆 more (use --json)")
    # A note on a file that was scanned all but some part (bytes read as U+FFFD, a PDF's scanned
    # pages) is no skipped file: said apart, so neither is mistaken for the other.
    partly = sum(1 for item in tally.skipped if item.get("scanned"))
    console.print(f"已掃描 {summary['files_scanned']} 個檔案 files scanned, {summary['bytes_scanned']} bytes; "
                  f"發現 {summary['findings']} 筆 findings; 略過 {summary['files_skipped'] - partly} 個 skipped"
                  + (f"; 部分未檢查 {partly} 個 partly unread" if partly else ""))
    for entity, n in summary["by_entity"].items():
        console.print(f"  {entity}: {n}")
    if len(summary["by_file"]) > 1:
        files = summary["by_file"]
        table("各檔案發現 findings per file", ["檔案 path", "筆數 findings", "類型 entities"],
              [[item["path"], item["findings"], "、".join(item["by_entity"])] for item in files[:_FILES_SHOWN]])
        if len(files) > _FILES_SHOWN:
            console.print(f"… 另有 {len(files) - _FILES_SHOWN} 個檔案 more files (use --json)")
    for item in summary["skipped"][:20]:
        label = "部分未檢查 partly unread" if item.get("scanned") else "略過 skipped"
        lines = "、".join(map(str, item.get("undecodable_lines", [])))
        console.print(f"  {label} {item['path']}: {item['reason']}" + (f"（第 {lines} 行 lines）" if lines else ""))
    _exit_on_findings(fail_on_findings, summary)


def _exit_on_findings(fail: bool, summary: dict) -> None:
    if fail and summary["findings"]:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _ScanOptions:
    entities: set[str] | None
    workers: int | None
    exclude: tuple[str, ...]
    min_score: float


@dataclass
class _Tally:
    """What a scan found, counted as it goes: the first findings for the table, counts."""

    shown: list[PiiFinding] = field(default_factory=list)
    by_entity: Counter[str] = field(default_factory=Counter)
    by_file: dict[str, Counter[str]] = field(default_factory=dict)  # a ZIP member is a file of its own
    skipped: list[dict] = field(default_factory=list)
    files: int = 0
    bytes: int = 0

    def summary(self) -> dict:
        return _summary(self.files, self.skipped, self.bytes, self.by_entity, self.by_file)


def _collect(paths: list[Path], options: _ScanOptions, json_out: bool, show_values: bool,
             spool: IO[str], progress: Callable[[int, int], None] | None = None) -> _Tally:
    from gezi.pii.scan import iter_scan

    tally = _Tally()
    masked: dict[tuple[str, str], str] = {}  # logs repeat the same IPs and e-mails line after line
    for piece in iter_scan(paths, options.entities, options.workers, progress, options.exclude,
                           options.min_score):
        tally.files += piece.files_scanned
        tally.bytes += piece.bytes_scanned
        tally.skipped.extend(piece.files_skipped)
        for f in piece.findings:
            tally.by_entity[f.entity] += 1
            tally.by_file.setdefault(f.path, Counter())[f.entity] += 1
            if json_out:
                value = f.value
                if not show_values:
                    value = masked.get((f.entity, f.value)) or masked.setdefault(
                        (f.entity, f.value), partial(f.entity, f.value))
                    if len(masked) > 1 << 16:
                        masked.clear()
                spool.write(finding_json(_shown(f, show_values), value) + "\n")
            elif len(tally.shown) < _HUMAN_LIMIT:
                tally.shown.append(f)
    return tally


SchemaOpt = Annotated[list[str] | None, typer.Option(
    "--schema", help="只讀這些結構描述（可重複） Only these schemas, repeatable (default: PostgreSQL "
    "all but the system ones, others the default schema).")]
SeedOpt = Annotated[int, typer.Option(
    "--seed", help="隨機抽樣的種子：同一種子、同一份資料抽到同一批列 Seed of the random sample: the same "
    "seed on the same data samples the same rows.")]


@app.command("scan-db")
def scan_db(
    url: Annotated[str, typer.Argument(help="SQLAlchemy 資料庫網址 database URL.")],
    sample: Annotated[int, typer.Option("--sample", min=1,
                                        help="每表隨機抽樣列數 Rows sampled at random per table.")] = 1000,
    full: Annotated[bool, typer.Option("--full", help="讀取全部資料列 Read every row.")] = False,
    schema: SchemaOpt = None,
    views: Annotated[bool, typer.Option(
        "--views", help="也掃描檢視表（其資料多半重複資料表） Views too (they mostly repeat tables' data).")] = False,
    seed: SeedOpt = 0,
    entities: EntitiesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """掃描資料庫欄位 Classify database columns (name and comment hints + sampled values)."""
    from gezi.pii.db import BINARY_NOTE, MAX_CELL_CHARS, scan_database

    options = {"sample": sample, "full": full, "entities": parse_entities(entities), "schemas": schema,
               "views": views, "seed": seed}
    if err_console.is_terminal:  # a database of hundreds of tables takes a while
        with Progress("[progress.description]{task.description}", BarColumn(), "{task.completed}/{task.total}",
                      console=err_console, transient=True) as bar:
            task = bar.add_task("掃描資料表 scanning tables")

            def progress(name: str, done: int, total: int) -> None:
                bar.update(task, total=total, completed=done, description=f"掃描 scanning {name}", refresh=True)

            result = scan_database(url, progress=progress, **options)
    else:
        result = scan_database(url, **options)
    if json_out:
        print_json(result)
        return
    rows, notes = [], []
    for t in result["tables"]:
        where = ".".join(filter(None, (t["schema"] or result["default_schema"], t["table"])))
        for c in t["columns"]:
            if c.get("binary_values_skipped"):
                notes.append(f"  略過 skipped {where}.{c['column']}: {c['binary_values_skipped']} 個值 values — "
                             f"{BINARY_NOTE}")
            if c.get("cells_truncated"):
                notes.append(f"  {where}.{c['column']}: {c['cells_truncated']} 格只讀前 {MAX_CELL_CHARS:,} 字 "
                             f"cells read up to {MAX_CELL_CHARS:,} characters")
            if c["classification"] or c["entities"]:
                share = c["entities"].get(c["classification"] or "", {}).get("share")
                found = ", ".join(f"{e} {v['share']:.0%}" for e, v in c["entities"].items())
                rows.append([f"{where}.{c['column']}", c["comment"] or "",
                             c["classification"] or "（內文含個資 contains）",
                             c["basis"] or "", "" if share is None else f"{share:.0%}", found])
    table(f"資料庫個資欄位 PII columns — {result['database']}",
          ["欄位 column", "註解 comment", "分類 class", "依據 basis", "比例 share", "發現 found"], rows)
    for line in notes:
        console.print(line)
    for t in result["tables_skipped"]:
        where = ".".join(filter(None, (t["schema"] or result["default_schema"], t["table"])))
        console.print(f"  略過資料表 skipped table {where}: {t['reason']}")
    read = ("讀取全部資料列 all rows read" if result["full"] else
            f"每表隨機抽樣 {result['sample']} 列（種子 {result['seed']}） {result['sample']} rows sampled at random "
            f"per table (seed {result['seed']})")
    console.print(f"{result['summary']['tables']} 個資料表 tables, "
                  f"{result['summary']['pii_columns']} 個個資欄位 PII columns; {read}")


def register(root: typer.Typer) -> None:
    """Add `gezi pii`."""
    root.add_typer(app, name="pii")
