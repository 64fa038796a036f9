"""Masked copies of a whole directory tree (a dump or an export folder prepared for a test
environment, seed 003 存取控制 6/10): every file gezi can mask is written masked under the same
relative path; names of files and folders are masked too (履歷_王小明.docx is itself personal
data); files gezi cannot mask (PDF, images, archives…) are listed as not copied, never copied
as they are; one file's error does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_text
from gezi.pii.mask_files import OLD_SHEET_SUFFIXES, SUPPORTED, mask_file
from gezi.pii.masking import mask_text
from gezi.pii.scan import iter_files

Progress = Callable[[int, int], None]


def _masked_name(name: str, method: str, key: bytes | None, format_preserving: bool) -> str:
    """A file or folder name with the personal data in it masked as the contents are (the
    suffix stays: it says what the file is)."""
    path = PurePath(name)
    stem, suffix = (path.stem, path.suffix) if path.suffix else (name, "")
    hits = analyze_text(stem)
    return (mask_text(stem, hits, method, key, format_preserving) if hits else stem) + suffix


def _output_path(relative: Path, taken: set[Path], method: str, key: bytes | None,
                 format_preserving: bool) -> Path:
    """Where a file's masked copy goes: each part of its path masked; .xls/.xlsb written as
    .xlsx; a name two masked names share (王小明.csv, 王大明.csv → 王○明.csv) numbered."""
    parts = [_masked_name(part, method, key, format_preserving) for part in relative.parts]
    out = Path(*parts)
    if out.suffix.lower() in OLD_SHEET_SUFFIXES:
        out = out.with_suffix(".xlsx")
    candidate, n = out, 1
    while candidate in taken:
        n += 1
        candidate = out.with_name(f"{out.stem} ({n}){out.suffix}")
    taken.add(candidate)
    return candidate


def mask_tree(src: Path, dst: Path, method: str = "partial", key: bytes | None = None,
              format_preserving: bool = False, entities: set[str] | None = None,
              overwrite: bool = False, exclude: tuple[str, ...] = (),
              progress: Progress | None = None) -> dict[str, Any]:
    """Write masked copies of the files under ``src`` into ``dst`` (same tree, names masked).

    Returns totals, one entry per masked file (paths relative to ``src`` and ``dst``, values
    masked per entity), the files not copied with their reason, and the files that failed with
    a one-line error. ``progress`` is called with (bytes done, bytes total)."""
    if not src.is_dir():
        raise GeziError(f"找不到來源目錄 source directory not found: {src}")
    if dst.exists() and not dst.is_dir():
        raise GeziError(f"輸出須為目錄 the output of a directory must be a directory: {dst}")
    src_real, dst_real = src.resolve(), dst.resolve()
    if dst_real == src_real or src_real in dst_real.parents:
        raise GeziError("輸出目錄不可在來源目錄之內 the output directory must not be inside the source")
    if dst.exists() and any(dst.iterdir()) and not overwrite:
        raise GeziError(f"輸出目錄已存在且非空 output directory exists and is not empty (use --force): {dst}")
    skipped: list[dict] = []
    files = list(iter_files([src], skipped, exclude))
    total = sum(size for _, size in files)
    done = 0
    taken: set[Path] = set()
    masked: list[dict] = []
    not_copied = [{"path": _relative(item["path"], src), "reason": item["reason"]} for item in skipped]
    errors: list[dict] = []
    by_entity: dict[str, int] = {}
    for path, size in files:
        relative = path.relative_to(src)
        if path.suffix.lower() not in SUPPORTED:
            not_copied.append({"path": str(relative), "reason": "無法產生遮蔽副本的格式，未複製 "
                               f"format gezi cannot mask ({path.suffix or 'no suffix'}), not copied"})
        else:
            out = _output_path(relative, taken, method, key, format_preserving)
            try:
                result = mask_file(path, dst / out, method, key, format_preserving, entities, overwrite)
            except GeziError as exc:
                errors.append({"path": str(relative), "error": str(exc)})
            except Exception as exc:  # a library choking on one malformed file must not stop the rest
                errors.append({"path": str(relative), "error": f"無法遮蔽 cannot mask ({type(exc).__name__})"})
            else:
                masked.append({"path": str(relative), "output": str(out),
                               "values_masked": result["values_masked"], "by_entity": result["by_entity"],
                               **{k: result[k] for k in ("embedded_not_masked",) if k in result}})
                for entity, n in result["by_entity"].items():
                    by_entity[entity] = by_entity.get(entity, 0) + n
        done += size
        if progress:
            progress(done, total)
    return {"source": str(src), "output": str(dst), "files_masked": len(masked),
            "values_masked": sum(item["values_masked"] for item in masked), "by_entity": by_entity,
            "files": masked, "not_copied": not_copied, "errors": errors}


def _relative(path: str, top: Path) -> str:
    try:
        return str(Path(path).relative_to(top))
    except ValueError:
        return path
