"""Masked copies of a whole directory tree (a dump or an export folder prepared for a test
environment, seed 003 存取控制 6/10): every file gezi can mask is written masked under the same
relative path; names of files and folders are masked too (履歷_王小明.docx is itself personal
data); ZIP archives are written as archives of their members' masked copies; files gezi cannot
mask (PDF, images…) are listed as not copied, never copied as they are; one file's error does not
stop the others.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_text
from gezi.pii.mask_files import OLD_SHEET_SUFFIXES, SUPPORTED, mask_file
from gezi.pii.masking import mask_text
from gezi.pii.scan import ScanLimits, iter_files, member_data, member_name

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


@dataclass
class _Run:
    """What one masking of a tree is asked to do, and what it did."""

    method: str
    key: bytes | None
    format_preserving: bool
    entities: set[str] | None
    overwrite: bool
    masked: list[dict] = field(default_factory=list)
    not_copied: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def not_copy(self, path: str, reason: str) -> None:
        self.not_copied.append({"path": path, "reason": reason})


def mask_tree(src: Path, dst: Path, method: str = "partial", key: bytes | None = None,
              format_preserving: bool = False, entities: set[str] | None = None,
              overwrite: bool = False, exclude: tuple[str, ...] = (),
              progress: Progress | None = None) -> dict[str, Any]:
    """Write masked copies of the files under ``src`` into ``dst`` (same tree, names masked).

    ZIP archives are written as ZIP archives of their members' masked copies (within the
    scanner's guards against bombs and path traversal). Returns totals, one entry per masked
    file (paths relative to ``src`` and ``dst``; a member as ``archive.zip!member``, values
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
    run = _Run(method, key, format_preserving, entities, overwrite)
    _mask_dir(src, dst, run, exclude, progress, "", "", 0)
    return _report(src, dst, run)


def mask_archive(src: Path, dst: Path, method: str = "partial", key: bytes | None = None,
                 format_preserving: bool = False, entities: set[str] | None = None,
                 overwrite: bool = False) -> dict[str, Any]:
    """One ZIP archive written as a ZIP archive of its members' masked copies, as the archives
    of a folder are (``mask_tree``); the same report, members as ``匯出.zip!會員.csv``."""
    if not src.is_file():
        raise GeziError(f"找不到輸入檔 input file not found: {src}")
    if dst.suffix.lower() != ".zip":
        raise GeziError(f"輸出檔須為 .zip the output must be a .zip file too (got {dst.suffix or '(none)'})")
    if dst.exists() and dst.resolve() == src.resolve():
        raise GeziError("輸出不可覆寫來源 output would overwrite the source")
    if dst.exists() and not overwrite:
        raise GeziError(f"輸出檔已存在 output exists (use --force): {dst}")
    run = _Run(method, key, format_preserving, entities, overwrite)
    _mask_archive(src, dst, run, src.name, dst.name, 0)
    return _report(src, dst, run)


def _report(src: Path, dst: Path, run: _Run) -> dict[str, Any]:
    by_entity: dict[str, int] = {}
    for item in run.masked:
        for entity, n in item["by_entity"].items():
            by_entity[entity] = by_entity.get(entity, 0) + n
    return {"source": str(src), "output": str(dst), "files_masked": len(run.masked),
            "values_masked": sum(item["values_masked"] for item in run.masked),
            "by_entity": dict(sorted(by_entity.items())), "files": run.masked,
            "not_copied": run.not_copied, "errors": run.errors}


def _mask_dir(src: Path, dst: Path, run: _Run, exclude: tuple[str, ...], progress: Progress | None,
              shown_src: str, shown_dst: str, depth: int) -> None:
    """Mask the files under ``src`` into ``dst``; paths are reported after ``shown_src`` /
    ``shown_dst`` (``archive.zip!`` for an archive's members)."""
    skipped: list[dict] = []
    files = list(iter_files([src], skipped, exclude))
    for item in skipped:
        run.not_copy(shown_src + _relative(item["path"], src), item["reason"])
    total, done = sum(size for _, size in files), 0
    taken: set[Path] = set()
    for path, size in files:
        relative = path.relative_to(src)
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED and suffix != ".zip":
            run.not_copy(shown_src + str(relative), "無法產生遮蔽副本的格式，未複製 "
                         f"format gezi cannot mask ({path.suffix or 'no suffix'}), not copied")
        else:
            out = _output_path(relative, taken, run.method, run.key, run.format_preserving)
            if suffix == ".zip":
                _mask_archive(path, dst / out, run, shown_src + str(relative), shown_dst + str(out), depth)
            else:
                _mask_one(path, dst / out, run, shown_src + str(relative), shown_dst + str(out))
        done += size
        if progress:
            progress(done, total)


def _mask_one(path: Path, out: Path, run: _Run, shown: str, shown_out: str) -> None:
    try:
        result = mask_file(path, out, run.method, run.key, run.format_preserving, run.entities, run.overwrite)
    except GeziError as exc:
        run.errors.append({"path": shown, "error": str(exc)})
    except Exception as exc:  # a library choking on one malformed file must not stop the rest
        run.errors.append({"path": shown, "error": f"無法遮蔽 cannot mask ({type(exc).__name__})"})
    else:
        run.masked.append({"path": shown, "output": shown_out, "values_masked": result["values_masked"],
                           "by_entity": result["by_entity"],
                           **{k: result[k] for k in ("embedded_not_masked",) if k in result}})


def _mask_archive(path: Path, out: Path, run: _Run, shown: str, shown_out: str, depth: int) -> None:
    """A ZIP archive: its members extracted within the scanner's guards (``scan.member_data``),
    masked as a folder of their own, and written to a new archive."""
    limits = ScanLimits()
    if depth >= limits.max_zip_depth:
        run.not_copy(shown, f"壓縮檔巢狀過深，未複製 archive nested deeper than {limits.max_zip_depth}")
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        run.errors.append({"path": shown, "error": f"損毀的 ZIP corrupt archive ({type(exc).__name__})"})
        return
    budget = [limits.max_archive_bytes]
    with archive, tempfile.TemporaryDirectory(prefix="gezi-mask-") as tmp:
        inside, masked = Path(tmp, "in"), Path(tmp, "out")
        for info in archive.infolist():
            name = member_name(info)
            member = f"{shown}!{name}"
            suffix = PurePath(name).suffix.lower()
            if info.is_dir():
                continue
            if suffix not in SUPPORTED and suffix != ".zip":
                run.not_copy(member, "無法產生遮蔽副本的格式，未複製 "
                             f"format gezi cannot mask ({suffix or 'no suffix'}), not copied")
                continue
            data = member_data(archive, info, member, run.not_copy, limits, budget)
            if data is not None:  # a safe name: member_data refused any other
                target = inside / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        inside.mkdir(exist_ok=True)
        masked.mkdir()
        before = len(run.masked)
        _mask_dir(inside, masked, run, (), None, f"{shown}!", f"{shown_out}!", depth + 1)
        if len(run.masked) == before:
            return  # nothing could be masked: no empty archive is written
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tmp, "copy.zip")  # moved into place whole: never half an archive
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as copy:
            for file in sorted(p for p in masked.rglob("*") if p.is_file()):
                copy.write(file, file.relative_to(masked).as_posix())
        shutil.move(partial, out)


def _relative(path: str, top: Path) -> str:
    try:
        return str(Path(path).relative_to(top))
    except ValueError:
        return path
