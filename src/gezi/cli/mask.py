"""`gezi mask` and `gezi mask-db`: masked copies of files and databases for test environments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, console, err_console, print_json, table
from gezi.cli.pii import EntitiesOpt, SchemaOpt, SeedOpt, parse_entities
from gezi.core.errors import GeziError
from gezi.pii.masking import METHODS, load_key

MethodOpt = Annotated[str, typer.Option(
    "--method", help="partial（A12****789、王○明）| redact | pseudonym (HMAC, needs a key)")]
KeyFileOpt = Annotated[Path | None, typer.Option(
    "--key-file", help="假名化金鑰檔 Pseudonym key file (else GEZI_MASK_KEY).")]
FpOpt = Annotated[bool, typer.Option(
    "--format-preserving", help="假名保留格式（身分證檢查碼有效） Pseudonyms keep the format.")]


def _key(method: str, key_file: Path | None, format_preserving: bool) -> bytes | None:
    if method not in METHODS:
        raise GeziError(f"未知的遮蔽方式 unknown method {method!r}; use {', '.join(METHODS)}")
    if format_preserving and method != "pseudonym":
        raise GeziError("--format-preserving 僅用於 pseudonym only applies to --method pseudonym")
    return load_key(key_file) if method == "pseudonym" else None


def mask(
    source: Annotated[Path, typer.Argument(
        help="來源檔或目錄 Input file (CSV/TSV/XLSX/XLS/XLSB/ODS/JSON/JSONL/TXT/DOCX/ODT/PPTX/ODP, ZIP) "
             "or a directory of them.")],
    output: Annotated[Path, typer.Argument(
        help="輸出檔或目錄 Output file, or directory for a directory (the source is never changed).")],
    method: MethodOpt = "partial",
    key_file: KeyFileOpt = None,
    format_preserving: FpOpt = False,
    entities: EntitiesOpt = None,
    force: Annotated[bool, typer.Option("--force", help="覆寫既有輸出 Overwrite OUTPUT.")] = False,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="來源為目錄時略過符合的檔案或目錄（萬用字元，可重複） With a directory: leave out "
                          "files and directories matching a glob.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """產生遮蔽後的檔案副本 Write a masked copy of a file, or of every file in a directory.

    來源為目錄時：可遮蔽的檔案以相同的相對路徑寫入輸出目錄，檔名與目錄名中的個資也遮蔽（履歷_王○明.docx）；
    無法遮蔽的格式（PDF、圖片、壓縮檔…）不複製並列出；單一檔案失敗不影響其他檔案（結束碼 1）。

    With a directory: each file gezi can mask is written under the same relative path, with the
    personal data in file and folder names masked too; files it cannot mask (PDF, images,
    archives…) are listed and not copied; one file's error does not stop the rest (exit 1).

    DOCX／ODT／ODS／PPTX／ODP 保留格式：跨多個文字段（run）的值，遮蔽結果放在第一段、其餘段清空。

    文件摘要資訊的作者欄位清空；ODS 中被遮蔽的數字儲存格（如以數字存的電話）改為文字儲存格。

    XLS／XLSB 寫成 XLSX（輸出檔名須為 .xlsx）：只保留值，格式、公式與合併儲存格不保留。

    DOCX/ODT/ODS/PPTX/ODP keep their formatting: a value split over runs is replaced in its first run.

    Author properties are cleared; a masked number cell of an ODS becomes a text cell.

    XLS/XLSB are written as XLSX (OUTPUT must end in .xlsx): values only, formatting, formulas and merges are lost.
    """
    from gezi.pii.mask_files import mask_file

    key = _key(method, key_file, format_preserving)
    if source.is_dir() or source.suffix.lower() == ".zip":
        _mask_many(source, output, method, key, format_preserving, parse_entities(entities), force,
                        tuple(exclude or ()), json_out)
        return
    result = mask_file(source, output, method, key, format_preserving, parse_entities(entities),
                       overwrite=force)
    if json_out:
        print_json(result)
        return
    console.print(f"已遮蔽 masked {result['values_masked']} 個值 values → {result['output']}")
    for entity, n in result["by_entity"].items():
        console.print(f"  {entity}: {n}")
    if "properties_cleared" in result:
        console.print(f"  文件摘要資訊作者欄位已清除 author properties cleared: {result['properties_cleared']}")
    if result.get("cells_retyped"):
        console.print(f"  數值儲存格改為文字儲存格 typed cells turned to text: {result['cells_retyped']}")
    if result.get("sheet_names_kept"):
        console.print(f"  工作表名稱含個資、未遮蔽（公式以名稱參照工作表，請手動改名）sheet names holding "
                      f"personal data were kept (formulas refer to them; rename by hand): {result['sheet_names_kept']}")
    if result.get("undecodable_bytes"):
        lines = "、".join(map(str, result["undecodable_lines"])) + ("…" if result["undecodable_lines_more"] else "")
        console.print(f"  無法解碼的位元組 {result['undecodable_bytes']} 個（第 {lines} 行）："
                      "副本中以 U+FFFD（�）取代，未複製原位元組（內容無法分析，可能是其他編碼的個資）；"
                      "請確認來源檔編碼、轉存後重新遮蔽 "
                      f"undecodable bytes: {result['undecodable_bytes']} (lines {lines}), written as U+FFFD in the "
                      "copy, not copied (they could not be analyzed)")
    for item in result.get("embedded_not_masked", []):
        console.print(f"  內嵌物件未遮蔽、原樣保留 embedded object kept unmasked: {item['member']}（{item['reason']}）")
    if result.get("values_only"):
        console.print("  僅保留值：格式、公式與合併儲存格未保留 values only: formatting, formulas and merged "
                      "cells are not kept")


def _mask_many(source: Path, output: Path, method: str, key: bytes | None, format_preserving: bool,
                    entities: set[str] | None, force: bool, exclude: tuple[str, ...], json_out: bool) -> None:
    """A folder or a ZIP archive: masked file by file, each file's outcome listed."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from gezi.pii.mask_tree import mask_archive, mask_tree

    def run(progress=None) -> dict:
        if not source.is_dir():  # one ZIP archive
            return mask_archive(source, output, method, key, format_preserving, entities, force)
        return mask_tree(source, output, method, key, format_preserving, entities, force, exclude, progress)

    if not json_out and err_console.is_terminal:
        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("遮蔽中 masking", total=None)
            result = run(lambda done, total: bar.update(task, completed=done, total=total))
    else:
        result = run()
    if json_out:
        print_json(result)
    else:
        console.print(f"已遮蔽 masked {result['files_masked']} 個檔案 files, {result['values_masked']} 個值 values "
                      f"→ {result['output']}")
        for entity, n in sorted(result["by_entity"].items()):
            console.print(f"  {entity}: {n}")
        if result["not_copied"]:
            table("未複製 not copied", ["檔案 path", "原因 reason"],
                  [[item["path"], item["reason"]] for item in result["not_copied"]])
        if result["errors"]:
            table("遮蔽失敗 failed", ["檔案 path", "錯誤 error"],
                  [[item["path"], item["error"]] for item in result["errors"]])
    if result["errors"]:
        raise typer.Exit(1)


def mask_db(
    source_url: Annotated[str, typer.Argument(help="來源資料庫網址 Source SQLAlchemy URL.")],
    dest_url: Annotated[str, typer.Argument(help="目的資料庫網址 Destination URL (new tables).")],
    method: MethodOpt = "partial",
    key_file: KeyFileOpt = None,
    format_preserving: FpOpt = False,
    sample: Annotated[int, typer.Option("--sample", min=1, help="分類欄位的抽樣列數 Rows sampled "
                                        "to classify columns.")] = 1000,
    schema: SchemaOpt = None,
    seed: SeedOpt = 0,
    replace: Annotated[bool, typer.Option(
        "--replace", help="先刪除目的端同名資料表 Drop destination tables of the same name first.")] = False,
    entities: EntitiesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """複製資料庫並遮蔽個資欄位 Copy a database with its PII columns masked.

    依外鍵順序（父表先）在同一個交易中複製；每複製完一個資料表在 stderr 顯示進度。

    Tables are copied parents first in one transaction; progress goes to stderr, a line per table.
    """
    from gezi.pii.db import BINARY_NOTE, mask_database

    key = _key(method, key_file, format_preserving)

    def progress(doc: dict, done: int, total: int) -> None:
        err_console.print(f"[{done}/{total}] {_where(doc)}: {doc['rows']:,} 列 rows")

    result = mask_database(source_url, dest_url, method, key, format_preserving, sample,
                           parse_entities(entities), schemas=schema, seed=seed, replace=replace,
                           progress=progress)
    if json_out:
        print_json(result)
        return
    for t in result["tables"]:
        cols = ", ".join(f"{c}→{e}" for c, e in t["masked_columns"].items()) or "—"
        console.print(f"{_where(t)}: {t['rows']} 列 rows; 遮蔽欄位 masked columns {cols}")
        if t.get("binary_columns_unscanned"):
            console.print(f"  原樣複製、未檢查 copied unscanned: "
                          f"{', '.join(t['binary_columns_unscanned'])} — {BINARY_NOTE}")
        if t.get("foreign_keys_not_copied"):
            console.print(f"  外鍵未複製（未參照已複製資料表的主鍵） foreign keys not copied: "
                          f"{', '.join(t['foreign_keys_not_copied'])}")


def _where(doc: dict) -> str:
    return f"{doc['schema']}.{doc['table']}" if doc["schema"] else doc["table"]


def register(root: typer.Typer) -> None:
    """Add `gezi mask` and `gezi mask-db`."""
    root.command("mask")(mask)
    root.command("mask-db")(mask_db)
