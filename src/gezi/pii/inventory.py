"""The personal-data inventory (個資檔案清冊): 個資檔案 entries built from scans and completed by people.

A scan (files, directories, database tables) becomes one entry per location with counts per
entity, the official 個人資料類別 codes of those entities (catalog data, ``pii/entity-categories.yaml``)
and first/last seen dates. People fill in the rest: 特定目的 codes, the PDPA Art 19 legal basis,
retention, recipients, cross-border transfer, vendor, owner unit. A re-scan updates the counts and
raises a finding when personal data shows up where the register says there is none, or in a
category the register does not list. No raw value is stored: counts and masked samples only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from gezi.catalog.loader import CatalogError, data_file, load_catalogs, load_data
from gezi.catalog.schema import CodeList, Dated, LText, Source, Strict
from gezi.compliance.findings import upsert_finding
from gezi.core.errors import GeziError
from gezi.core.fsnames import from_printable, printable
from gezi.core.timeutil import now_utc
from gezi.org.models import Organization
from gezi.pii.files import SHEET_SUFFIXES, XLSX_SUFFIXES
from gezi.pii.inventory_models import LOCATION_KINDS, PdFile, PdFileEntity, PdScanDir
from gezi.pii.model import PiiFinding, ScanReport

ENTITY_CATEGORIES_FILE = "pii/entity-categories.yaml"
LEGAL_BASES_FILE = "pii/legal-bases.yaml"
PURPOSES_LIST = "moj-pd-purposes"
CATEGORIES_LIST = "moj-pd-categories"
SAMPLES_PER_ENTITY = 3
FINDING_SOURCE = "pii"


class EntityCategory(Strict):
    """One PII entity and the 個人資料類別 code it belongs to (None when no code is sourced)."""

    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    category: str | None
    source: Source | None = None
    note: str | None = None


class EntityCategories(Strict):
    """Schema of ``pii/entity-categories.yaml``."""

    schema_: Literal["gezi.pii-entity-categories/1"] = Field(alias="schema")
    id: str
    version: str
    codelist: str
    source: Source
    entities: list[EntityCategory] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LegalBasis(Strict):
    """One lawful basis for collecting and processing personal data."""

    code: str = Field(pattern=r"^[0-9A-Za-z-]+$")
    name: LText
    source: Source


class LegalBases(Dated):
    """Schema of ``pii/legal-bases.yaml``."""

    schema_: Literal["gezi.pdpa-legal-bases/1"] = Field(alias="schema")
    id: str
    version: str
    name: LText
    source: Source
    bases: list[LegalBasis] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def entity_categories() -> dict[str, str | None]:
    """Entity → 個人資料類別 code; every code is checked against the MOJ category list."""
    data = load_data(ENTITY_CATEGORIES_FILE, EntityCategories)
    codes = {c.code for c in load_catalogs().codelist(data.codelist).codes}
    for n, item in enumerate(data.entities):
        if item.category is not None and item.category not in codes:
            raise CatalogError(f"{data_file(ENTITY_CATEGORIES_FILE)}: field entities.{n}.category: "
                               f"{item.category!r} is not in {data.codelist}")
    return {item.entity: item.category for item in data.entities}


def legal_bases_catalog() -> LegalBases:
    """The catalog of lawful bases (PDPA Art 19(1))."""
    return load_data(LEGAL_BASES_FILE, LegalBases)


def legal_bases() -> dict[str, LegalBasis]:
    """The PDPA Art 19(1) bases by code."""
    return {b.code: b for b in legal_bases_catalog().bases}


def category_of(entity: str) -> str | None:
    """The 個人資料類別 code of an entity, or None."""
    return entity_categories().get(entity)


def _codelist(list_id: str) -> CodeList:
    return load_catalogs().codelist(list_id)


_CODE_LIKE = {PURPOSES_LIST: re.compile(r"^\d{3}$"), CATEGORIES_LIST: re.compile(r"^C\d{3}$")}


def resolve_codes(list_id: str, values: Iterable[str]) -> list[dict[str, str]]:
    """Validate entries against an MOJ code list: known codes, or free text where the list allows it.

    A value that looks like a code but is not in the shipped list is refused (the list may be
    incomplete): describe it in words instead, so nothing unverified is recorded as a code.
    """
    codelist = _codelist(list_id)
    names = {c.code: c.name.zh for c in codelist.codes}
    out: list[dict[str, str]] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if value.upper() in names:
            out.append({"code": value.upper(), "name": names[value.upper()]})
        elif _CODE_LIKE[list_id].match(value.upper()):
            raise GeziError(f"代碼 {value} 不在{codelist.name.zh}已收錄之清單 code not in the shipped "
                            f"{list_id} list ({len(names)} of {codelist.expected_count or '?'} "
                            "codes); describe it in words instead")
        elif codelist.allow_free_text:
            out.append({"text": value})
        else:
            raise GeziError(f"未知的代碼 unknown {list_id} code {value!r}")
    return out


def resolve_legal_bases(values: Iterable[str]) -> list[str]:
    """Validate legal-basis codes (e.g. 19-1-5) against the catalog."""
    known = legal_bases()
    out = []
    for raw in values:
        code = raw.strip()
        if code not in known:
            raise GeziError(f"未知的法律依據 unknown legal basis {code!r}; use one of "
                            f"{', '.join(known)} (個人資料保護法第19條第1項各款)")
        out.append(code)
    return out


# --- scans → locations -----------------------------------------------------------------------

def _mask(entity: str, value: str) -> str:
    from gezi.pii.masking import mask_value

    return mask_value(entity, value, "partial")


_WORKBOOKS = tuple(XLSX_SUFFIXES | SHEET_SUFFIXES)


def _sheet(f: PiiFinding) -> str | None:
    """The worksheet of a workbook cell (its column is ``sheet!header``): rows of different
    sheets are different records."""
    if f.row is not None and f.column and f.path.lower().endswith(_WORKBOOKS):
        return f.column.split("!", 1)[0]
    return None


@dataclass
class LocationScan:
    """What one scan found in one location (aggregated, masked)."""

    location: str
    kind: str
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)
    records: int = 0
    files_scanned: int = 0
    scope: frozenset[str] | None = None  # entity types the scan looked for (None: all)
    exclude: tuple[str, ...] = ()  # globs a directory's scan left out (scan.iter_files)
    columns: tuple[str, ...] | None = None  # a table's columns holding personal data (db_table)

    def add(self, findings: Iterable[PiiFinding]) -> None:
        """Count findings per entity, keep a few masked samples, count records (lines/rows)."""
        records: set[tuple] = set()
        for f in findings:
            self.counts[f.entity] += 1
            samples = self.samples.setdefault(f.entity, [])
            if len(samples) < SAMPLES_PER_ENTITY:  # mask only the few values that are kept
                masked = _mask(f.entity, f.value)
                if masked not in samples:
                    samples.append(masked)
            records.add((f.path, f.line, f.row, _sheet(f)))
        self.records += len(records)


def _on_disk(path: str) -> str:
    """The file on disk a finding belongs to: an archive member (``a.zip!dir/b.csv``) belongs
    to its archive, which is the 個資檔案 a person can find, re-scan or delete."""
    outer = path.split("!", 1)[0]
    return outer if outer != path and Path(outer).is_file() else path


def locations_from_scan(pieces: Iterable[ScanReport], root: Path, per_file: bool,
                        scope: set[str] | None = None, exclude: tuple[str, ...] = (),
                        ) -> tuple[list[LocationScan], int, list[dict]]:
    """One location for the scanned path, or (per_file, for a directory) one per file with hits;
    the number of files scanned and the files skipped. ``pieces`` are the partial reports of a
    scan (scan.iter_scan), taken one at a time so a scan with millions of findings never holds
    them all.

    ``scope`` is the set of entity types the scan was limited to, if any; ``exclude`` the globs
    it left out, recorded with a directory's location (a file given by name is never left out).
    """
    frozen = frozenset(scope) if scope else None
    skipped: list[dict] = []
    scanned = 0
    if root.is_dir() and per_file:
        by_path: dict[str, LocationScan] = {}
        for piece in pieces:
            skipped += piece.files_skipped
            scanned += piece.files_scanned
            grouped: dict[str, list[PiiFinding]] = {}
            for f in piece.findings:
                grouped.setdefault(_on_disk(f.path), []).append(f)
            for path, findings in grouped.items():
                loc = by_path.get(path)
                if loc is None:
                    loc = by_path[path] = LocationScan(location=path, kind="file", name=Path(path).name,
                                                       files_scanned=1, scope=frozen)
                loc.add(findings)  # records of different pieces never coincide (other file or lines)
        return [by_path[path] for path in sorted(by_path)], scanned, skipped
    root_str = str(root)
    is_dir = root.is_dir()
    loc = LocationScan(location=root_str, kind="directory" if is_dir else "file",
                       name=root.name or root_str, scope=frozen, exclude=exclude if is_dir else ())
    for piece in pieces:
        skipped += piece.files_skipped
        loc.files_scanned += piece.files_scanned
        loc.add(piece.findings)
    return [loc], loc.files_scanned, skipped


def locations_from_db(result: dict, row_counts: dict[tuple[str | None, str], int],
                      scope: set[str] | None = None,
                      keep: frozenset[str] = frozenset()) -> list[LocationScan]:
    """One location per table of a ``scan_database`` result that holds personal data (or whose
    location is in ``keep``, e.g. an inventoried table that no longer holds any).

    Counts are rows whose values matched, per entity, summed over columns; a column classified
    by its name only counts its non-empty sampled values. ``row_counts`` gives 筆數 per table.
    """
    out = []
    for t in result["tables"]:
        loc = LocationScan(location=f"{result['database']}#{_table_name(t)}", kind="db_table",
                           name=_table_name(t), records=row_counts.get((t["schema"], t["table"]), 0),
                           scope=frozenset(scope) if scope else None)
        columns = []
        for col in t["columns"]:
            for entity, info in col["entities"].items():
                loc.counts[entity] += info["rows"]
            named = col["classification"]
            if named and named not in col["entities"] and col["non_null"]:
                loc.counts[named] += col["non_null"]
            if col["entities"] or (named and col["non_null"]):  # it added to the counts
                columns.append(col["column"])
        loc.columns = tuple(columns)
        if loc.counts or loc.location in keep:
            out.append(loc)
    return out


def _table_name(table: dict) -> str:
    return f"{table['schema']}.{table['table']}" if table.get("schema") else table["table"]


def table_row_counts(url: str, tables: Iterable[dict]) -> dict[tuple[str | None, str], int]:
    """COUNT(*) of each scanned table: the 筆數 of the 個資檔案 (the scan itself only samples)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {(t["schema"], t["table"]): conn.scalar(
                sa.select(sa.func.count()).select_from(sa.table(t["table"], schema=t["schema"])))
                for t in tables}
    except sa.exc.SQLAlchemyError as exc:
        raise GeziError(f"無法計算資料表筆數 cannot count table rows: {type(exc).__name__}") from None
    finally:
        engine.dispose()


def locations_from_dir_rescan(root: Path, exclude: tuple[str, ...], listed: set[str],
                              done: frozenset[str] = frozenset(),
                              ) -> tuple[list[LocationScan], list[dict], set[str]]:
    """Re-scan a directory inventoried one entry per file (``add-scan --per-file``).

    Returns one location per file holding personal data, new files included, plus one without
    counts for each ``listed`` file (the paths of inventory entries) that the walk reached and
    that no longer holds any, so its entry is updated as a re-scan of the file alone would; the
    files skipped; and the paths walked, whose entries need no scan of their own. Paths in
    ``done`` (walked already, under another inventoried directory) are left to that walk.
    """
    from gezi.pii.scan import iter_files, iter_scan

    # The walk iter_scan makes, repeated to know which files it covered (walking is cheap next
    # to scanning); its skips are reported by the scan itself.
    walked = {str(p) for p, _ in iter_files([root], [], exclude)} - done
    found, _files, skipped = locations_from_scan(iter_scan([root], exclude=exclude), root,
                                                 per_file=True)
    found = [loc for loc in found if loc.location not in done]
    unreadable = {s["path"] for s in skipped if not s.get("scanned")}  # not notes of U+FFFD
    hit = {loc.location for loc in found}
    found += [LocationScan(location=path, kind="file", name=Path(path).name,
                           files_scanned=int(path not in unreadable))
              for path in sorted((walked & listed) - hit)]
    return found, skipped, walked


def record_scan_dir(session: Session, org: Organization, root: Path, exclude: tuple[str, ...],
                    seen_at: dt.datetime | None = None) -> PdScanDir:
    """Remember a directory inventoried one entry per file, with the globs it was scanned with
    (a later ``add-scan --per-file`` replaces them), so ``rescan`` finds files added to it."""
    location = printable(str(root))
    row = session.scalar(sa.select(PdScanDir).where(PdScanDir.org_id == org.id,
                                                    PdScanDir.location == location))
    if row is None:
        row = PdScanDir(org_id=org.id, location=location)
        session.add(row)
    row.exclude = [printable(g) for g in exclude]
    row.last_scanned_at = seen_at or now_utc()
    session.flush()
    return row


def list_scan_dirs(session: Session, org: Organization) -> list[PdScanDir]:
    """The directories an organization inventoried one entry per file, oldest first."""
    return list(session.scalars(sa.select(PdScanDir).where(PdScanDir.org_id == org.id)
                                .order_by(PdScanDir.id)))


@dataclass
class ForgottenDir:
    """A directory ``forget_scan_dir`` stopped remembering, and the entries it leaves listed."""

    location: str
    exclude: list[str]
    entries: list[PdFile]


def forget_scan_dir(session: Session, org: Organization, path: Path) -> ForgottenDir:
    """Stop walking a directory remembered by ``add-scan --per-file``: ``rescan`` no longer
    looks in it for new files. Its files' entries stay in the register (and are re-scanned
    one by one as any file entry); the deletion is on the audit trail like any change.

    The directory need not exist any more (a share taken down is the usual reason to forget
    it); a relative path is taken from the working directory, as ``add-scan`` takes it.
    """
    candidates = {printable(str(path.resolve())), printable(str(path.absolute())), printable(str(path))}
    row = session.scalar(sa.select(PdScanDir).where(PdScanDir.org_id == org.id,
                                                    PdScanDir.location.in_(sorted(candidates))))
    if row is None:
        raise GeziError(f"此目錄未以 --per-file 登錄 directory not remembered by add-scan --per-file: "
                        f"{printable(str(path))}（已登錄之目錄見 `gezi inventory list` lists them）")
    inside = [e for e in list_entries(session, org)
              if e.location_kind == "file" and Path(e.location).is_relative_to(row.location)]
    forgotten = ForgottenDir(row.location, list(row.exclude or []), inside)
    session.delete(row)
    session.flush()
    return forgotten


def _existing_path(location: str) -> Path | None:
    """The path on disk of a stored location (stored as printable text by record_location)."""
    for path in (Path(location), Path(from_printable(location))):
        if path.exists():
            return path
    return None


def _globs(stored: list | None) -> tuple[str, ...]:
    return tuple(from_printable(g) for g in stored or ())


@dataclass
class RescanPlan:
    """What a re-scan of the whole inventory will read."""

    # Files and directories that still exist, each with the globs its scans leave out.
    paths: list[tuple[Path, tuple[str, ...]]] = field(default_factory=list)
    # Directories inventoried one entry per file, walked again for new files, with their globs.
    dirs: list[tuple[Path, tuple[str, ...]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # inventoried paths that are gone
    databases: dict[str, str] = field(default_factory=dict)  # URL to connect → URL as stored
    unreachable: list[str] = field(default_factory=list)  # stored URLs without a password given
    db_locations: frozenset[str] = frozenset()


def plan_rescan(entries: list[PdFile], db_urls: Iterable[str] = (),
                scan_dirs: Iterable[PdScanDir] = ()) -> RescanPlan:
    """Turn the inventory's locations back into scan targets.

    Stored database locations hide their password, so such a database is re-scanned only when
    its full URL is given (``db_urls``); otherwise it is listed as unreachable. A directory is
    re-scanned leaving out what its entry records (``add-scan --exclude``); so is each of
    ``scan_dirs`` (``add-scan --per-file``), walked for files that appeared since.
    """
    from gezi.core.db import safe_url

    given = {safe_url(u): u for u in db_urls}
    plan = RescanPlan()
    for entry in entries:
        if entry.location_kind == "manual":
            continue
        if entry.location_kind == "db_table":
            stored = entry.location.rsplit("#", 1)[0]
            url = given.get(stored) or (stored if "***" not in stored else None)
            if url is None:
                if stored not in plan.unreachable:
                    plan.unreachable.append(stored)
            else:
                plan.databases[url] = stored
            continue
        path = _existing_path(entry.location)
        if path is not None:
            plan.paths.append((path, _globs(entry.exclude)))
        else:
            plan.missing.append(entry.location)
    for scan_dir in scan_dirs:
        path = _existing_path(scan_dir.location)
        if path is not None and path.is_dir():
            plan.dirs.append((path, _globs(scan_dir.exclude)))
        else:
            plan.missing.append(scan_dir.location)
    plan.db_locations = frozenset(e.location for e in entries if e.location_kind == "db_table")
    return plan


# --- register --------------------------------------------------------------------------------

def get_entry(session: Session, org: Organization, entry_id: int) -> PdFile:
    """One 個資檔案 of an organization, or a one-line error."""
    entry = session.get(PdFile, entry_id)
    if entry is None or entry.org_id != org.id:
        raise GeziError(f"找不到個資檔案 no inventory entry #{entry_id}")
    return entry


def list_entries(session: Session, org: Organization) -> list[PdFile]:
    """The organization's 個資檔案, in the order they were added."""
    return list(session.scalars(sa.select(PdFile).where(PdFile.org_id == org.id)
                                .order_by(PdFile.id)))


def detected_categories(entry: PdFile) -> list[str]:
    """Category codes of the entities the latest scan found in the entry."""
    return sorted({e.category for e in entry.entities if e.count > 0 and e.category})


def undeclared_categories(entry: PdFile) -> list[str]:
    """Detected categories the register does not list for this entry."""
    declared = {c.get("code") for c in entry.categories}
    return [c for c in detected_categories(entry) if c not in declared]


def _category_items(codes: Iterable[str]) -> list[dict[str, str]]:
    names = {c.code: c.name.zh for c in _codelist(CATEGORIES_LIST).codes}
    return [{"code": c, "name": names.get(c, "")} for c in sorted(set(codes))]


def _update_entities(entry: PdFile, loc: LocationScan, seen_at: dt.datetime) -> None:
    existing = {e.entity: e for e in entry.entities}
    for entity, row in existing.items():
        if entity not in loc.counts and (loc.scope is None or entity in loc.scope):
            row.count, row.samples = 0, []
    for entity, count in loc.counts.items():
        row = existing.get(entity)
        if row is None:
            row = PdFileEntity(entity=entity, first_seen=seen_at)
            entry.entities.append(row)
        row.category = category_of(entity)
        row.count = count
        row.samples = loc.samples.get(entity, [])
        row.last_seen = seen_at


def _labels(columns: Iterable[str]) -> list[str]:
    """Column names to show, masked: a column may be named after a person, like a header cell."""
    from gezi.pii.masking import masked_label

    return [masked_label(c) for c in columns]


def _flag(session: Session, entry: PdFile, declared_none: bool, new: list[str],
          loc: LocationScan, seen_at: dt.datetime, found_in: str | None = None,
          new_columns: list[str] | None = None) -> dict[str, Any] | None:
    """A finding when PII turns up where the register says there is none, or in new categories.

    ``found_in``: the inventoried directory (or database) in which a re-scan found this file (or
    table), new to the register — personal data the register does not list, until a person
    reviews the entry. ``new_columns``: a table's columns holding personal data that the
    register's last scan of it did not record (the same kind: data where it lists none).
    """
    new_columns = new_columns or []
    if found_in is not None and loc.counts and loc.kind == "db_table":
        kind, severity = "new-table", "high"
        title = (f"清冊未登錄之資料表含個人資料 personal data in a database table the inventory does "
                 f"not list: 「{entry.name}」（資料庫 in {found_in}）")
    elif found_in is not None and loc.counts:
        kind, severity = "new-file", "high"
        title = (f"清冊未登錄之檔案含個人資料 personal data in a file the inventory does not list: "
                 f"「{entry.name}」（目錄 in {found_in}）")
    elif declared_none and loc.counts:
        kind, severity = "no-pii", "high"
        title = (f"標示為無個資之位置發現個人資料 personal data found where the inventory says "
                 f"there is none: 「{entry.name}」")
    elif new_columns:  # the fingerprint is shown with the finding: masked names there too
        kind, severity = "new-columns:" + ",".join(_labels(new_columns)), "high"
        title = (f"個資檔案「{entry.name}」之清冊未登錄欄位含個人資料 personal data in columns the "
                 f"inventory does not list: {'、'.join(_labels(new_columns))}")
    elif new:
        kind, severity = "undeclared:" + ",".join(new), "medium"
        title = (f"個資檔案「{entry.name}」發現未登錄之個人資料類別 undeclared categories "
                 f"{'、'.join(new)}")
    else:
        return None
    table = loc.kind == "db_table"
    detail = {"pd_file_id": entry.id, "location": entry.location,
              "new_file_in": None if table else found_in, "new_table_in": found_in if table else None,
              "new_columns": _labels(new_columns),
              "declared_categories": [c.get("code") or c.get("text") for c in entry.categories],
              "detected_categories": sorted({category_of(e) for e in loc.counts} - {None}),
              "undeclared_categories": new, "counts": dict(loc.counts), "samples": loc.samples}
    finding, created = upsert_finding(session, org_id=entry.org_id, source=FINDING_SOURCE,
                                      fingerprint=f"pii-inventory:{entry.id}:{kind}", title=title,
                                      severity=severity, detail=detail, seen_at=seen_at)
    return {"finding_id": finding.id, "created": created, "severity": severity, "title": title}


def _new_columns(entry: PdFile, loc: LocationScan) -> list[str]:
    """A table's columns holding personal data that the entry's last full scan did not record
    (none when it recorded none yet: a new entry, or one older than the columns' record);
    records this scan's columns when it looked for every entity type (a scan limited with
    ``--entities`` sees fewer, which would make the others look new next time)."""
    if loc.columns is None:
        return []
    new = sorted(set(loc.columns) - set(entry.columns)) if entry.columns is not None else []
    if loc.scope is None:
        entry.columns = sorted(loc.columns)
    return new


def record_location(session: Session, org: Organization, loc: LocationScan,
                    seen_at: dt.datetime | None = None, new_in: Path | str | None = None,
                    ) -> dict[str, Any]:
    """Create or update the 個資檔案 of one scanned location; flag undeclared PII on re-scans.

    A new entry lists the categories the scan found (none → 無個資). An existing entry keeps the
    categories the register declares; what the scan finds beyond them raises a finding, and so
    does a table column holding personal data that the last scan did not record. ``new_in`` is
    the inventoried directory a re-scan walked, or the database (URL as stored) it scanned: an
    entry it creates is a new file or table, flagged.
    """
    if loc.kind not in LOCATION_KINDS:
        raise GeziError(f"未知的位置類型 unknown location kind {loc.kind!r}")
    seen_at = seen_at or now_utc()
    # A file name that is not UTF-8 (Big5 from a Windows share) is stored as printable text.
    location, name = printable(loc.location), printable(loc.name)
    exclude = [printable(g) for g in loc.exclude]  # a glob may name a Big5 folder too
    entry = session.scalar(sa.select(PdFile).where(PdFile.org_id == org.id,
                                                   PdFile.location == location))
    created = entry is None
    flag = None
    if created:
        entry = PdFile(org_id=org.id, name=name[:300], location_kind=loc.kind,
                       location=location, purposes=[], legal_bases=[],
                       categories=_category_items(c for e in loc.counts
                                                  if (c := category_of(e))))
        session.add(entry)
    declared_none = not entry.categories
    declared = {c.get("code") for c in entry.categories}
    new_columns = _new_columns(entry, loc)  # none for a new entry: it records its columns
    _update_entities(entry, loc, seen_at)
    if loc.scope is None or entry.records is None:  # a scan limited to some entities
        entry.records = loc.records  # undercounts the rows holding personal data
    entry.files_scanned = loc.files_scanned
    if loc.kind != "db_table":  # what this scan left out: the scope of its counts
        entry.exclude = exclude
    entry.last_scanned_at = seen_at
    if loc.counts:
        entry.first_seen = entry.first_seen or seen_at
        entry.last_seen = seen_at
    session.flush()
    if created and new_in is not None:
        flag = _flag(session, entry, False, [], loc, seen_at, found_in=printable(str(new_in)))
    elif not created:
        new = sorted({c for e in loc.counts if (c := category_of(e))} - declared)
        flag = _flag(session, entry, declared_none, new, loc, seen_at, new_columns=new_columns)
        if new_columns and new and not declared_none:  # two findings, each reviewed on its own
            _flag(session, entry, False, new, loc, seen_at)
    return {"id": entry.id, "name": entry.name, "location_kind": entry.location_kind,
            "location": entry.location, "created": created, "exclude": exclude,
            "counts": dict(loc.counts), "records": loc.records, "flag": flag}


def add_manual_entry(session: Session, org: Organization, *, name: str, location: str) -> PdFile:
    """A 個資檔案 no scanner can reach (paper forms, a cloud back office): a person enters it and
    fills in its categories with ``update_entry``; ``rescan`` leaves it alone."""
    name, location = name.strip(), location.strip()
    if not name or not location:
        raise GeziError("--name 與 --location 不可空白 must not be empty")
    if session.scalar(sa.select(PdFile).where(PdFile.org_id == org.id,
                                              PdFile.location == location)):
        raise GeziError(f"存放位置已登錄 location already in the inventory: {location}")
    entry = PdFile(org_id=org.id, name=name[:300], location_kind="manual", location=location,
                   categories=[], purposes=[], legal_bases=[])
    session.add(entry)
    session.flush()
    return entry


def update_entry(session: Session, entry: PdFile, *, name: str | None = None,
                 owner_unit: str | None = None, purposes: list[str] | None = None,
                 legal_bases_: list[str] | None = None, categories: list[str] | None = None,
                 no_pii: bool = False, collection_method: str | None = None,
                 retention: str | None = None, recipients: str | None = None,
                 cross_border: str | None = None, vendor: str | None = None,
                 note: str | None = None) -> PdFile:
    """Fill in what a person declares about a 個資檔案; lists given replace the stored ones."""
    if no_pii and categories:
        raise GeziError("--no-pii 與 --category 不可並用 --no-pii and --category exclude each other")
    if purposes is not None:
        entry.purposes = resolve_codes(PURPOSES_LIST, purposes)
    if legal_bases_ is not None:
        entry.legal_bases = resolve_legal_bases(legal_bases_)
    if categories is not None:
        entry.categories = resolve_codes(CATEGORIES_LIST, categories)
    if no_pii:
        entry.categories = []
    texts = {"name": name, "owner_unit": owner_unit, "collection_method": collection_method,
             "retention": retention, "recipients": recipients, "cross_border": cross_border,
             "vendor": vendor, "note": note}
    for key, value in texts.items():
        if value is not None:
            value = value.strip()
            if key == "name" and not value:
                raise GeziError("--name 不可空白 must not be empty")
            setattr(entry, key, value or None)
    session.flush()
    return entry


def missing_fields(entry: PdFile) -> list[str]:
    """What a person still has to fill in (zh-TW labels) before the entry is complete."""
    wanted = {"特定目的": entry.purposes, "法律依據": entry.legal_bases, "保存期限": entry.retention,
              "保有單位": entry.owner_unit}
    return [label for label, value in wanted.items() if not value]


def entry_dict(entry: PdFile) -> dict[str, Any]:
    """A 個資檔案 as a JSON-ready dict (masked samples only)."""
    bases = legal_bases()
    return {
        "id": entry.id, "name": entry.name, "location_kind": entry.location_kind,
        "location": entry.location, "exclude": list(entry.exclude or []),
        "owner_unit": entry.owner_unit, "categories": entry.categories,
        "detected_categories": _category_items(detected_categories(entry)),
        "undeclared_categories": undeclared_categories(entry),
        "purposes": entry.purposes,
        "legal_bases": [{"code": c, "name": bases[c].name.zh if c in bases else ""}
                        for c in entry.legal_bases],
        "collection_method": entry.collection_method, "retention": entry.retention,
        "recipients": entry.recipients, "cross_border": entry.cross_border,
        "vendor": entry.vendor, "note": entry.note, "records": entry.records,
        "files_scanned": entry.files_scanned,
        "entities": [{"entity": e.entity, "category": e.category, "count": e.count,
                      "samples": e.samples, "first_seen": e.first_seen, "last_seen": e.last_seen}
                     for e in entry.entities],
        "first_seen": entry.first_seen, "last_seen": entry.last_seen,
        "last_scanned_at": entry.last_scanned_at, "created_at": entry.created_at,
        "missing": missing_fields(entry),
    }
