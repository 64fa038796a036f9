"""The log archive: normalized events as Parquet under data_dir/logs/, with a hash manifest.

Layout: ``logs/events/source=<web|auth|firewall>/day=<YYYY-MM-DD>/<sha8>.parquet`` (day = Asia/Taipei
calendar day) and ``logs/manifest.json`` listing every raw file's SHA-256 and the Parquet files
written from it (with their own SHA-256), so `verify` can prove neither was altered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from gezi.core.errors import GeziError
from gezi.core.timeutil import iso, now_utc
from gezi.logwatch import firewall
from gezi.logwatch.catalog import load_profile, retention
from gezi.logwatch.normalize import TAIPEI_OFFSET_MS
from gezi.logwatch.parse import Workspace, logs_memory_limit
from gezi.logwatch.sqltext import lit as _lit
from gezi.logwatch.syslog import zone

MANIFEST_VERSION = 1
CHUNK = 1 << 20


def logs_dir(data_dir: Path) -> Path:
    """Root of the archive."""
    return data_dir / "logs"


def events_dir(data_dir: Path) -> Path:
    """Root of the Parquet partitions."""
    return logs_dir(data_dir) / "events"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(data_dir: Path) -> dict[str, Any]:
    """The manifest, or an empty one."""
    path = logs_dir(data_dir) / "manifest.json"
    if not path.exists():
        return {"version": MANIFEST_VERSION, "files": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeziError(f"日誌清單損毀 log manifest unreadable: {path}: {exc}") from None


def _save_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    path = logs_dir(data_dir) / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def ingest(data_dir: Path, paths: list[Path], auth_paths: list[Path], fmt: str = "auto",
           year: int | None = None, tz: str | None = None,
           profile_path: Path | None = None, device: str | None = None) -> dict[str, Any]:
    """Parse raw files and add their events to the archive; a file already ingested is skipped.

    `year` and `tz` place syslog time stamps (see `gezi.logwatch.syslog`); `tz` defaults to the
    site profile's `timezone` (Asia/Taipei unless the profile says otherwise), as in `scan`.
    Each event records the device that wrote it: the one its line names (syslog host, FortiGate
    devname/devid, IIS s-computername, JSON access logs' hostname), else `device`, else the file's
    directory (`origin`).
    """
    if device is not None and not device.strip():
        raise GeziError("裝置名稱不可空白 --device must not be empty")
    tz = zone(tz or load_profile(profile_path).timezone)  # an error even if nothing is new
    manifest = load_manifest(data_dir)
    known = {f["sha256"] for f in manifest["files"]}
    report = []
    for path, is_auth in [*((p, False) for p in paths), *((p, True) for p in auth_paths)]:
        if not path.is_file():
            raise GeziError(f"找不到檔案 file not found: {path}")
        sha = sha256_file(path)
        if sha in known:
            report.append({"path": str(path), "sha256": sha, "status": "already_ingested"})
            continue
        entry = _ingest_one(data_dir, path, sha, "auto" if is_auth else fmt, is_auth, year, tz,
                            device or origin(path))
        manifest["files"].append(entry)
        known.add(sha)
        report.append({"path": str(path), "sha256": sha, "status": "ingested",
                       "events": entry["events"], "skipped": entry["skipped"]})
    _save_manifest(data_dir, manifest)
    return {"files": report, "archive": str(events_dir(data_dir))}


def origin(path: Path) -> str:
    """The device of a file whose lines name none: the directory it was ingested from (each
    server's logs usually live in their own: /var/log/nginx on it, a collector's per-host folder)."""
    return str(path.resolve().parent)


def _ingest_one(data_dir: Path, path: Path, sha: str, fmt: str, is_auth: bool,
                year: int | None, tz: str, device: str) -> dict[str, Any]:
    with Workspace(year=year, tz=tz) as ws:
        used = ws.add_file(path, fmt, auth=is_auth)
        ws.con.execute(f"""CREATE TABLE out AS SELECT source, ts_ms, ip, method, target, status,
            bytes, ref, ua, vhost, account, event, result, {', '.join(firewall.COLUMNS)},
            coalesce(nullif(device, ''), {_lit(device)}) AS device,
            strftime(make_timestamp((ts_ms + {TAIPEI_OFFSET_MS}) * 1000), '%Y-%m-%d') AS day
            FROM ({ws.parsed_union()})""")
        parts = ws.con.execute("SELECT DISTINCT source, day FROM out ORDER BY ALL").fetchall()
        written = []
        for source, day in parts:
            target = events_dir(data_dir) / f"source={source}" / f"day={day}" / f"{sha[:16]}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            # web and auth files keep the columns they always had
            drop = ["source", "day", *(firewall.COLUMNS if source != "firewall" else ())]
            ws.con.execute(f"COPY (SELECT * EXCLUDE ({', '.join(drop)}) FROM out "
                           f"WHERE source = '{source}' AND day = '{day}' ORDER BY ts_ms) "
                           f"TO '{target}' (FORMAT parquet)")
            written.append({"path": str(target.relative_to(logs_dir(data_dir))),
                            "sha256": sha256_file(target)})
        s = ws.summary
        return {"path": str(path.resolve()), "name": path.name, "sha256": sha,
                "size": path.stat().st_size, "format": used, "timezone": tz, "device": device,
                "ingested_at": iso(now_utc()),
                "lines": s.lines, "events": s.parsed, "skipped": s.skipped,
                "by_reason": dict(s.by_reason), "assumed_zone": s.assumed_zone(),
                "parquet": written}


def verify(data_dir: Path) -> dict[str, Any]:
    """Re-hash raw files (when still present) and every Parquet file against the manifest."""
    manifest = load_manifest(data_dir)
    checks = []
    for f in manifest["files"]:
        raw = Path(f["path"])
        if not raw.exists():
            status = "raw_missing"  # raw files may be rotated away; the Parquet still counts
        else:
            status = "ok" if sha256_file(raw) == f["sha256"] else "raw_changed"
        checks.append({"path": f["path"], "kind": "raw", "status": status})
        for part in f["parquet"]:
            p = logs_dir(data_dir) / part["path"]
            if not p.exists():
                st = "pruned" if part.get("pruned") else "missing"
            else:
                st = "ok" if sha256_file(p) == part["sha256"] else "changed"
            checks.append({"path": part["path"], "kind": "parquet", "status": st})
    bad = {"raw_changed", "missing", "changed"}
    return {"ok": not any(c["status"] in bad for c in checks), "checks": checks}


def days_with_data(data_dir: Path) -> dict[str, set[dt.date]]:
    """Days that have at least one Parquet partition, per source."""
    out: dict[str, set[dt.date]] = {}
    root = events_dir(data_dir)
    if not root.exists():
        return out
    for src_dir in root.glob("source=*"):
        for day_dir in src_dir.glob("day=*"):
            if any(day_dir.glob("*.parquet")):
                day = dt.date.fromisoformat(day_dir.name.removeprefix("day="))
                out.setdefault(src_dir.name.removeprefix("source="), set()).add(day)
    return out


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retention_start(source: str, today: dt.date) -> dt.date | None:
    """First day that must still be kept for a source (None when no policy is catalogued)."""
    policy = retention().policy(source)
    if policy is None:
        return None
    return _months_before(today, policy.total_months)


def _gaps(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    gaps: list[tuple[dt.date, dt.date]] = []
    for d in days:
        if gaps and gaps[-1][1] + dt.timedelta(days=1) == d:
            gaps[-1] = (gaps[-1][0], d)
        else:
            gaps.append((d, d))
    return gaps


def coverage(data_dir: Path, today: dt.date, gap_days: int = 1) -> dict[str, Any]:
    """Per catalogued source: days inside the retention period that have no logs (evidence gaps),
    and per device the spans of at least `gap_days` days it logged nothing while seen before and
    after (`devices`: one stopped firewall among several leaves no day of the source empty)."""
    if gap_days < 1:
        raise GeziError(f"--gap-days 須至少為 1 must be at least 1: {gap_days}")
    have = days_with_data(data_dir)
    out = []
    for policy in retention().policies:
        start = retention_start(policy.source, today)
        assert start is not None
        days = have.get(policy.source, set())
        span = [start + dt.timedelta(days=i) for i in range((today - start).days + 1)]
        missing = [d for d in span if d not in days]
        out.append({
            "source": policy.source, "name": policy.name.zh,
            "retention": f"{policy.months} 個月" if policy.months else f"{policy.years} 年",
            "citation": policy.source_ref.citation, "window_start": start.isoformat(),
            "window_end": today.isoformat(), "days_with_data": len([d for d in span if d in days]),
            "missing_days": len(missing),
            "gaps": [[a.isoformat(), b.isoformat()] for a, b in _gaps(missing)],
            "gap_days": gap_days,
            "devices": _device_coverage(data_dir, policy.source, start, today, gap_days,
                                        max(days, default=None)) if days else [],
        })
    return {"today": today.isoformat(), "sources": out}


def _device_coverage(data_dir: Path, source: str, start: dt.date, today: dt.date, gap_days: int,
                     source_last: dt.date | None) -> list[dict[str, Any]]:
    """Devices of one source with a day of data inside start..today: their days and silent spans.

    A gap is a span of at least `gap_days` days without a record between two days with records
    (clipped to the window); `silent_since` marks a device that has logged nothing for at least
    `gap_days` days while other devices of the source logged up to a later day (stopped, or
    retired). Read by DuckDB from the archive's `device` column and partition days only, so memory
    stays bounded however large the archive is. Events archived before devices were recorded have
    no device and are left out here (they still count in the source's days).
    """
    files = _lit(str(events_dir(data_dir) / f"source={source}" / "day=*" / "*.parquet"))
    scan = f"read_parquet({files}, hive_partitioning = true, union_by_name = true)"
    con = duckdb.connect(config={"memory_limit": logs_memory_limit()})
    try:
        if "device" not in {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}:
            return []
        con.execute(f"CREATE TEMP TABLE dd AS SELECT DISTINCT device, CAST(day AS DATE) AS day "
                    f"FROM {scan} WHERE device IS NOT NULL")
        window = f"day BETWEEN DATE '{start.isoformat()}' AND DATE '{today.isoformat()}'"
        devices = con.execute(f"""SELECT device, min(day) FILTER (WHERE {window}),
            max(day) FILTER (WHERE {window}), count(*) FILTER (WHERE {window}),
            max(day) FROM dd GROUP BY device HAVING count(*) FILTER (WHERE {window}) > 0
            ORDER BY device""").fetchall()
        spans = con.execute(f"""SELECT device, prev + 1, day - 1 FROM (
            SELECT device, day, lag(day) OVER (PARTITION BY device ORDER BY day) AS prev FROM dd)
            WHERE day - prev - 1 >= {gap_days} ORDER BY device, prev""").fetchall()
    finally:
        con.close()
    gaps: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for device, a, b in spans:
        a, b = max(a, start), min(b, today)
        if a <= b:
            gaps.setdefault(device, []).append((a, b))
    cap = min(source_last or today, today)
    out = []
    for device, first, last, n, last_ever in devices:
        silent = last_ever < cap and (cap - last_ever).days >= gap_days
        out.append({"device": device, "first_day": first.isoformat(), "last_day": last.isoformat(),
                    "days_with_data": n,
                    "missing_days": sum((b - a).days + 1 for a, b in gaps.get(device, [])),
                    "gaps": [[a.isoformat(), b.isoformat()] for a, b in gaps.get(device, [])],
                    "silent_since": (last_ever + dt.timedelta(days=1)).isoformat()
                    if silent else None})
    return out


def prune(data_dir: Path, before: dt.date, source: str | None, today: dt.date,
          dry_run: bool = False) -> dict[str, Any]:
    """Delete day partitions older than `before`; refuses when that reaches into retention."""
    have = days_with_data(data_dir)
    sources = [source] if source else sorted(have)
    for s in sources:
        start = retention_start(s, today)
        if start is None:
            raise GeziError(f"來源 {s} 無保存期限資料，不可刪除 no retention policy catalogued for "
                            f"{s!r}; refusing to prune")
        if before > start:
            raise GeziError(f"拒絕刪除：{s} 須保存至 {start.isoformat()} 之後 refusing to prune "
                            f"{s} before {before.isoformat()}: retention requires keeping days "
                            f"from {start.isoformat()}")
    deleted = []
    manifest = load_manifest(data_dir)
    for s in sources:
        for day in sorted(d for d in have.get(s, set()) if d < before):
            part = events_dir(data_dir) / f"source={s}" / f"day={day.isoformat()}"
            deleted.append(str(part.relative_to(logs_dir(data_dir))))
            if not dry_run:
                shutil.rmtree(part)
    if not dry_run and deleted:
        prefixes = tuple(d + "/" for d in deleted)
        for f in manifest["files"]:
            for part in f["parquet"]:
                if part["path"].startswith(prefixes):
                    part["pruned"] = iso(now_utc())
        _save_manifest(data_dir, manifest)
    return {"deleted": deleted, "dry_run": dry_run}


def events_between(data_dir: Path, first: dt.date, last: dt.date) -> list[Path]:
    """Parquet files of the days first..last (all sources)."""
    root = events_dir(data_dir)
    files: list[Path] = []
    day = first
    while day <= last:
        files += sorted(root.glob(f"source=*/day={day.isoformat()}/*.parquet"))
        day += dt.timedelta(days=1)
    return files

