"""Databases: classify columns by name and comment hints and sampled values; copy with PII masked.

Any SQLAlchemy URL works (SQLite and PostgreSQL are tested). Every non-system schema of a
PostgreSQL database is read (``schemas`` limits them), views only when asked. ``sample`` rows of
each table are read in a random order (``full`` reads all, streaming); a column is classified as
the entity found in at least ``MIN_SHARE`` of its non-empty sampled values, or — when values say
nothing — as the entity its name or comment suggests. JSON and array columns are read value by
value, under their keys; binary columns are counted, not read.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SAWarning, SQLAlchemyError

from gezi.core.db import safe_url
from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_segments, hits_per_segment
from gezi.pii.mask_files import _json_masked, _json_texts, _mask_grouped, _Masker
from gezi.pii.masking import mask_text, mask_value, masked_label
from gezi.pii.registry import get_registry

MIN_SHARE = 0.3
WHOLE_VALUE = 0.8  # a hit covering this much of a value makes it a value *of* that entity
BATCH_ROWS = 1000
MAX_CELL_CHARS = 20_000  # characters of one cell a scan reads (a masked copy reads every one)
# PostgreSQL tables estimated above this many rows are sampled by pages (TABLESAMPLE SYSTEM)
# instead of ordering every row at random; SYSTEM_OVERSAMPLE times the sample is read, as rows
# of one page tend to be alike (inserted together).
SYSTEM_SAMPLE_ROWS = 1_000_000
SYSTEM_OVERSAMPLE = 5
# Rows of a table never analyzed (reltuples -1, as after pg_restore) are guessed from its size at
# PG_ROW_BYTES a row: rather more bytes than narrow rows take, so rather fewer rows are guessed
# and, sampled by pages, rather more pages read than fewer rows than the sample.
PG_ROW_BYTES = 200
# The rows of a table, or of all partitions of a partitioned one (its own reltuples is -1).
_PG_ROW_ESTIMATE = sa.text(
    "SELECT sum(CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_relation_size(c.oid) / :row_bytes END) "
    "FROM pg_class c WHERE (c.oid = to_regclass(:t) AND c.relkind <> 'p') "
    "OR c.oid IN (SELECT relid FROM pg_partition_tree(to_regclass(:t)) WHERE isleaf)")
_PG_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast"}
BINARY_NOTE = "二進位資料（圖片、檔案等）無法以文字檢查，未掃描 binary values (images, files) are not scanned"


def _engine(url: str, source: bool = True) -> sa.Engine:
    """A connected engine; a ``source`` SQLite file must exist (connecting would create it)."""
    try:
        parsed = sa.engine.make_url(url)
    except (ArgumentError, ValueError):  # its message would repeat the URL, password and all
        raise GeziError("資料庫網址無效 invalid database URL: 無法解析 cannot be parsed "
                        "(dialect+driver://user:password@host:port/database)") from None
    if source and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not parsed.database.startswith("file:") and not Path(parsed.database).is_file():
        raise GeziError(f"找不到資料庫檔 database file not found: {parsed.database}")
    try:
        engine = sa.create_engine(parsed)
        with engine.connect():
            pass
    except NoSuchModuleError as exc:  # an unknown dialect or driver name
        raise GeziError(f"資料庫網址無效 invalid database URL: {exc}") from None
    except ImportError as exc:  # the dialect is known, its driver package is not installed
        raise GeziError(f"缺少資料庫驅動程式 missing database driver: {exc.name or exc}"
                        "（請以 pip 安裝 install it with pip）") from None
    except SQLAlchemyError as exc:
        # What the server or the network said (refused, no such database, authentication failed):
        # nothing of the rows has been read yet.
        said = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
        raise GeziError(f"無法連線資料庫 cannot connect to {safe_url(url)}: {said[0][:200] if said else ''}") from None
    return engine


# --- What is read -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Col:
    """A column as the scan reads it: its kind and the hint text (name and comment)."""

    column: sa.Column
    kind: str  # text | number | json | array | binary | unknown | other
    hint: str

    @property
    def structured(self) -> bool:
        """JSON and arrays hold several values, each read under its own key."""
        return self.kind in ("json", "array")


def _kind(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, postgresql.DOMAIN):  # CREATE DOMAIN twid AS varchar(10): read as its base type
        t = t.data_type
    if isinstance(t, sa.types.NullType):  # a type SQLAlchemy does not know (composite, PostGIS…)
        return "unknown"
    if isinstance(t, sa.types._Binary):
        return "binary"
    if isinstance(t, sa.JSON):
        return "json"
    if isinstance(t, sa.ARRAY):
        return "array" if isinstance(t.item_type, sa.String) else "other"
    if isinstance(t, sa.Integer | sa.Numeric | sa.Float):
        return "number"
    if isinstance(t, sa.String) and not isinstance(t, sa.Enum):
        return "text"
    return "other"


def _col(col: sa.Column) -> _Col:
    # A comment (COMMENT ON COLUMN … IS '身分證字號') names what an abbreviated column holds.
    return _Col(col, _kind(col), f"{col.name} {col.comment}" if col.comment else col.name)


def _number_text(value: int | float | Decimal) -> str:
    """A number's digits. Nine digits starting with 9 are a mobile number whose leading 0 an
    integer column dropped (912345678 is 0912345678)."""
    if isinstance(value, float | Decimal) and value == int(value):
        value = int(value)
    text = str(value)
    return "0" + text if len(text) == 9 and text.startswith("9") else text


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bytes | bytearray | memoryview | bool):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = _number_text(value) if isinstance(value, int | float | Decimal) else str(value)
    return text if text.strip() else None


def _parsed(value: Any, col: _Col) -> Any:
    """A JSON cell as a document (a driver that hands JSON over as text: parsed here)."""
    if isinstance(value, str) and col.kind == "json":
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def _leaves(value: Any, col: _Col) -> list[tuple[str | None, str]]:
    """The (key, text) values of a JSON or array cell; a key names what its values hold, as a
    JSON file's keys do (an array's items are under the column's name and comment)."""
    items: list[tuple[str | None, str]] = []
    _json_texts(_parsed(value, col), col.hint, items)
    return items


# --- Which tables ------------------------------------------------------------------------------

@dataclass
class Reflected:
    """The tables (and views) to read, in foreign-key order: parents before children."""

    tables: list[sa.Table]
    views: set[tuple[str | None, str]]
    default_schema: str | None
    schemas: list[str]


def reflect(engine: sa.Engine, schemas: list[str] | None = None, views: bool = False) -> Reflected:
    """Every table of the chosen schemas (default: on PostgreSQL all but the system schemas,
    elsewhere the default one); the default schema's tables have ``schema`` None."""
    try:
        inspector = sa.inspect(engine)
        default = inspector.default_schema_name
        known = inspector.get_schema_names()
        if schemas:
            unknown = [s for s in schemas if s not in known]
            if unknown:
                raise GeziError(f"找不到結構描述 schema not found: {', '.join(unknown)}; "
                                f"有 available: {', '.join(known)}")
            chosen = list(dict.fromkeys(schemas))
        elif engine.dialect.name == "postgresql":
            chosen = [s for s in known if s not in _PG_SYSTEM_SCHEMAS
                      and not s.startswith(("pg_temp_", "pg_toast_temp_"))]
        else:
            chosen = [default] if default else [None]
        meta = sa.MetaData()
        view_names: set[tuple[str | None, str]] = set()
        for schema in chosen:
            own = None if schema == default else schema
            with warnings.catch_warnings():  # "Did not recognize type": read as it comes
                warnings.simplefilter("ignore", SAWarning)
                meta.reflect(bind=engine, schema=own, views=views, resolve_fks=False)
            if views:  # reflection reads plain and materialized views alike
                view_names |= {(own, v) for v in inspector.get_view_names(schema=own)}
                if engine.dialect.name == "postgresql":
                    view_names |= {(own, v) for v in inspector.get_materialized_view_names(schema=own)}
        # A partition's rows are read through its partitioned table already (and copied with it).
        partitions = _partitions(engine, default)
    except SQLAlchemyError as exc:
        raise GeziError(f"無法讀取資料表結構 cannot reflect tables: {type(exc).__name__}") from None
    with warnings.catch_warnings():  # a cycle of foreign keys: the order is then partly arbitrary
        warnings.simplefilter("ignore", SAWarning)
        ordered = sa.schema.sort_tables(meta.tables.values(), skip_fn=lambda fk: _referred(fk) is None)
    return Reflected([t for t in ordered if (t.schema, t.name) not in partitions],
                     view_names, default, [s for s in chosen if s])


def _referred(fk: sa.ForeignKey) -> sa.Column | None:
    """The column a foreign key refers to, or None when it is not among the tables read (a table
    long dropped, which SQLite lets a foreign key name; a schema not chosen)."""
    try:
        return fk.column
    except (sa.exc.NoReferencedTableError, sa.exc.NoReferencedColumnError):
        return None


def _partitions(engine: sa.Engine, default: str | None) -> set[tuple[str | None, str]]:
    """The partitions of PostgreSQL's partitioned tables, as (schema or None, name)."""
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                                    "ON n.oid = c.relnamespace WHERE c.relispartition"))
        return {(None if schema == default else schema, name) for schema, name in rows}


def qualified(table: sa.Table) -> str:
    """schema.table, or the bare name in the default schema."""
    return f"{table.schema}.{table.name}" if table.schema else table.name


# --- Sampling -----------------------------------------------------------------------------------

def _sampled(conn: sa.Connection, table: sa.Table, is_view: bool, sample: int,
             seed: int) -> tuple[sa.FromClause, Any, str]:
    """Where to read a sample from, the order that makes it random, and the method's name.

    PostgreSQL orders the rows by random() (a top-N sort: memory stays at N rows), or, on a
    table estimated over SYSTEM_SAMPLE_ROWS, first picks pages (TABLESAMPLE SYSTEM) so a huge
    table is not read whole; setseed/REPEATABLE make both follow the seed. SQLite orders by a
    hash of the rowid and the seed (its random() takes no seed). Other databases read the first
    rows. The same seed on unchanged data gives the same rows: a scan can be repeated.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # random() of this session follows the seed (setseed takes -1 to 1)
        conn.execute(sa.select(sa.func.setseed((seed % 2_000_001) / 1_000_000 - 1)))
        estimate = None if is_view else conn.scalar(_PG_ROW_ESTIMATE, {
            "t": conn.dialect.identifier_preparer.format_table(table), "row_bytes": PG_ROW_BYTES})
        if estimate and estimate > SYSTEM_SAMPLE_ROWS:
            share = min(100.0, 100.0 * SYSTEM_OVERSAMPLE * sample / estimate)
            pages = sa.tablesample(table, sa.func.system(share),
                                   seed=sa.literal(seed % 2**31))
            return pages, sa.func.random(), "tablesample_system"
        return table, sa.func.random(), "random"
    if dialect == "sqlite":
        if is_view:
            return table, sa.func.random(), "random"
        salt = seed % 2**31
        # Knuth's multiplicative hash spreads consecutive rowids over the whole range; the salt
        # moves the window of rowids that hash lowest.
        return table, ((sa.literal_column("rowid") + salt) * 2654435761) % 4294967296, "rowid_hash"
    return table, None, "first_rows"


def _rows(conn: sa.Connection, table: sa.Table, cols: list[_Col], sample: int, full: bool,
          seed: int, is_view: bool) -> tuple[Iterator[Any], str]:
    """The rows a scan reads (each a tuple in the order of ``cols``) and how they were chosen.

    Text is read up to MAX_CELL_CHARS + 1 characters (one more tells that a cell was cut);
    binary columns only as whether they hold a value."""
    source, order, method = (table, None, "all") if full else _sampled(conn, table, is_view, sample, seed)

    def exprs(src: sa.FromClause) -> list:
        out = []
        for c in cols:
            column = src.c[c.column.name]
            if c.kind == "binary":
                out.append(column.isnot(None))
            elif c.kind == "text":
                out.append(sa.func.substr(column, 1, MAX_CELL_CHARS + 1))
            else:
                out.append(_raw(column))
        return out

    stmt = sa.select(*exprs(source)).select_from(source)
    if not full:
        stmt = stmt.order_by(order).limit(sample) if order is not None else stmt.limit(sample)
    streamed = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS)
    try:
        return iter(streamed.execute(stmt)), method
    except sa.exc.OperationalError:
        if method != "rowid_hash":
            raise
    # A SQLite table WITHOUT ROWID: random(), which cannot be repeated with a seed.
    conn.rollback()
    stmt = sa.select(*exprs(table)).order_by(sa.func.random()).limit(sample)
    return iter(streamed.execute(stmt)), "random"


def _raw(column: sa.ColumnElement) -> sa.ColumnElement:
    """A column read as the driver gives it: SQLite keeps any value in any column (2024/01/05 in
    a DATETIME, 79.05.03 in a DATE), and SQLAlchemy's conversion of such a value fails."""
    return sa.type_coerce(column, sa.types.NullType()).label(column.name)


# --- Classification -----------------------------------------------------------------------------

def _classify(non_null: int, rows_whole: Counter[str], rows_with: Counter[str],
              name_hints: list[str], comment_hints: list[str]) -> tuple[str | None, str | None]:
    """The entity a column holds, and on what basis (values, its name, its comment); free text
    that merely contains PII gets None (its values are masked span by span)."""
    hints = list(dict.fromkeys(name_hints + comment_hints))

    def hinted_by(entity: str) -> str:
        return "name" if entity in name_hints else "comment"

    if non_null and rows_whole:
        entity, count = rows_whole.most_common(1)[0]
        if count / non_null >= MIN_SHARE:
            return entity, f"values+{hinted_by(entity)}" if entity in hints else "values"
    if hints and (non_null == 0 or not rows_with or any(rows_with.get(h) for h in hints)):
        return hints[0], hinted_by(hints[0])
    return None, None


class _ColumnTally:
    """What the sampled values of one column held: rows per entity, whole values, keys."""

    def __init__(self) -> None:
        self.non_null = 0
        self.rows_with = Counter[str]()
        self.rows_whole = Counter[str]()
        self.binary = 0
        self.truncated = 0
        self.keys: dict[str, set[str]] = {}

    def add(self, col: _Col, values: list[Any], entities: set[str] | None) -> None:
        """Analyze one batch of the column's values (the texts under one key in one call)."""
        by_key: dict[str | None, list[tuple[int, str]]] = {}
        for row, value in enumerate(values):
            if col.kind == "binary" or isinstance(value, bytes | bytearray | memoryview):
                self.binary += bool(value)
                continue
            items = (_leaves(value, col) if col.structured or isinstance(value, dict | list)
                     else [(col.hint, text)] if (text := _as_text(value)) is not None else [])
            items = [(k, t) for k, t in items if t.strip()]
            if not items:
                continue
            self.non_null += 1
            room = MAX_CELL_CHARS  # for the cell: a JSON document's values share it
            for key, text in items:
                if room > 0:
                    by_key.setdefault(key, []).append((row, text[:room]))
                room -= len(text)
            self.truncated += room < 0
        seen: set[tuple[int, str]] = set()
        whole: set[tuple[int, str]] = set()
        for key, cells in by_key.items():
            texts = [t for _, t in cells]
            for i, (entity, start, end, _score, _value) in analyze_segments(texts, entities, key):
                row = cells[i][0]
                seen.add((row, entity))
                if not col.structured and end - start >= WHOLE_VALUE * len(texts[i].strip()):
                    whole.add((row, entity))
                if col.structured and key:
                    self.keys.setdefault(key, set()).add(entity)
        self.rows_with.update(entity for _, entity in seen)
        self.rows_whole.update(entity for _, entity in whole)


def _hints(text: str | None, entities: set[str] | None) -> list[str]:
    registry = get_registry()
    found = [registry.recognizers[i].entity for i in sorted(registry.column_matches(text))]
    return [h for h in dict.fromkeys(found) if entities is None or h in entities]


def classify_table(conn: sa.Connection, table: sa.Table, sample: int, full: bool,
                   entities: set[str] | None, seed: int = 0, is_view: bool = False) -> dict:
    """Per-column entity shares of one table (or view), from a random sample of its rows."""
    cols = [_col(c) for c in table.columns]
    tallies = [_ColumnTally() for _ in cols]
    rows, method = _rows(conn, table, cols, sample, full, seed, is_view)
    scanned = 0
    batch: list[Any] = []

    def flush() -> None:
        for i, (col, tally) in enumerate(zip(cols, tallies, strict=True)):
            tally.add(col, [row[i] for row in batch], entities)
        batch.clear()

    for row in rows:
        batch.append(row)
        scanned += 1
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()
    out = []
    for col, tally in zip(cols, tallies, strict=True):
        comment = col.column.comment
        name_hints, comment_hints = _hints(col.column.name, entities), _hints(comment, entities)
        entity, basis = None, None
        if not col.structured and col.kind != "binary":  # a JSON document is never one value
            entity, basis = _classify(tally.non_null, tally.rows_whole, tally.rows_with, name_hints, comment_hints)
        n = tally.non_null
        info = {
            "column": col.column.name, "type": str(col.column.type), "kind": col.kind,
            "comment": masked_label(comment) if comment else None,
            "name_hints": name_hints, "comment_hints": comment_hints, "non_null": n,
            "entities": {e: {"rows": c, "share": round(c / n, 4) if n else 0.0,
                             "whole_value_rows": tally.rows_whole.get(e, 0)}
                         for e, c in tally.rows_with.most_common()},
            "classification": entity, "basis": basis,
        }
        if col.kind == "binary" or tally.binary:
            info["binary_values_skipped"] = tally.binary
        if tally.truncated:
            info["cells_truncated"] = tally.truncated
        if tally.keys:
            info["keys"] = {masked_label(k): sorted(v) for k, v in sorted(tally.keys.items())}
        out.append(info)
    return {"table": table.name, "schema": table.schema, "kind": "view" if is_view else "table",
            "comment": masked_label(table.comment) if table.comment else None,
            "rows_scanned": scanned, "sampling": method, "columns": out}


def scan_database(url: str, sample: int = 1000, full: bool = False, entities=None, *,
                  schemas: list[str] | None = None, views: bool = False, seed: int = 0,
                  progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Classify the columns of every table: name and comment hints plus sampled rows (``full``:
    all rows); ``seed`` makes the sample repeatable; ``progress`` hears of each table before it
    is read (its name, its number, how many)."""
    if sample < 1:
        raise GeziError("--sample 必須 ≥ 1 must be at least 1")
    get_registry()
    engine = _engine(url)
    results, skipped = [], []
    try:
        found = reflect(engine, schemas, views)
        with engine.connect() as conn:
            for i, t in enumerate(found.tables):
                if progress:
                    progress(qualified(t), i, len(found.tables))
                try:
                    results.append(classify_table(conn, t, sample, full, entities, seed,
                                                  (t.schema, t.name) in found.views))
                except sa.exc.DBAPIError as exc:
                    # A table the account may not read (production accounts often cannot read
                    # them all) or a view whose tables are gone: the others are still scanned.
                    conn.rollback()
                    skipped.append({"table": t.name, "schema": t.schema,
                                    "reason": f"無法讀取 cannot read: {_error_name(exc)}"})
    except SQLAlchemyError as exc:
        raise GeziError(f"讀取資料失敗 cannot read rows: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    pii_columns = sum(1 for t in results for c in t["columns"] if c["classification"])
    return {"database": safe_url(url), "default_schema": found.default_schema,
            "schemas": found.schemas, "views": views, "sample": None if full else sample,
            "full": full, "seed": seed, "tables": results, "tables_skipped": skipped,
            "summary": {"tables": len(results), "tables_skipped": len(skipped), "pii_columns": pii_columns}}


def _error_name(exc: sa.exc.DBAPIError) -> str:
    """The driver's name for an error (InsufficientPrivilege, UndefinedTable): its message may
    quote values of the rows."""
    return type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__


# --- Masked copies ------------------------------------------------------------------------------

Ref = tuple[str | None, str, str]  # (schema, table, column)


def _ref(col: sa.Column) -> Ref:
    return col.table.schema, col.table.name, col.name


def _key_columns(tables: list[sa.Table]) -> tuple[set[Ref], dict[Ref, Ref]]:
    """Columns whose values must stay unique and joinable — primary keys and both ends of
    foreign keys — and, for each, the column its group of foreign keys leads to."""
    up: dict[Ref, Ref] = {}

    def root(ref: Ref) -> Ref:
        while ref in up:
            ref = up[ref]
        return ref

    keys = {_ref(c) for t in tables for c in t.primary_key.columns}
    for t in tables:
        for fk in t.foreign_keys:
            if (referred := _referred(fk)) is None:
                continue
            child, parent = _ref(fk.parent), _ref(referred)
            keys |= {child, parent}
            a, b = root(child), root(parent)
            if a != b:
                up[a] = b
    return keys, {ref: root(ref) for ref in keys}


def _joined(classified: dict[Ref, str], groups: dict[Ref, Ref]) -> dict[Ref, str]:
    """Columns joined by foreign keys are masked as one entity — the referenced column's, else
    the most common in the group — so their pseudonyms still join (a child column the sample
    did not classify would otherwise keep values its masked parent no longer has)."""
    members: dict[Ref, list[Ref]] = {}
    for ref, root in groups.items():
        members.setdefault(root, []).append(ref)
    out = dict(classified)
    for root, refs in members.items():
        found = Counter(classified[r] for r in refs if r in classified)
        if found:
            out.update(dict.fromkeys(refs, classified.get(root) or found.most_common(1)[0][0]))
    return out


def _keys_held(tables: list[sa.Table], classified: dict[Ref, str], method: str) -> tuple[set[Ref], dict[Ref, str]]:
    """The key columns, and the classification joined over foreign keys; key columns holding PII
    are refused unless masked by pseudonym (partial masks collide, redaction makes every value alike)."""
    keys, groups = _key_columns(tables)
    classified = _joined(classified, groups)
    copied = {(t.schema, t.name) for t in tables}
    held = sorted((r for r in keys & classified.keys() if r[:2] in copied), key=str)
    if held and method != "pseudonym":
        schema, name, column = held[0]
        raise GeziError(f"{schema + '.' if schema else ''}{name}.{column}: 主鍵或外鍵含個資需用 "
                        "pseudonym（遮蔽後仍唯一、可關聯） a key column holding PII needs --method pseudonym")
    return keys, classified


def _dst_type(col: sa.Column, rewritten: bool, same_dialect: bool) -> sa.types.TypeEngine:
    t = col.type
    if isinstance(t, sa.types.NullType):
        return sa.Text()
    if isinstance(t, sa.ARRAY):  # masked items are text; without arrays a list is kept as JSON
        return (sa.ARRAY(sa.Text()) if rewritten else t) if same_dialect else sa.JSON()
    if rewritten and not isinstance(t, sa.JSON):
        # A masked value may be longer than VARCHAR(n) allows, and a phone stored as INTEGER
        # needs text to hold 0912-***-678.
        return sa.Text()
    if same_dialect:
        return t
    try:
        return t.as_generic()
    except NotImplementedError:  # INET, TSVECTOR…: their text
        return sa.Text()


def _is_serial(col: sa.Column) -> bool:
    default = col.server_default
    return isinstance(col.type, sa.Integer) and (
        col.identity is not None or (default is not None and "nextval(" in str(getattr(default, "arg", ""))))


@dataclass
class _Plan:
    """How one table is copied: the destination table and what happens to each column."""

    table: sa.Table
    new: sa.Table
    whole: dict[str, str]  # column → entity: every value masked whole
    free_text: list[_Col]  # text columns: the values found masked in place
    structured: list[_Col]  # JSON and arrays: each value masked under its key
    binary: list[str]
    serial: list[str]
    raw: list[str]  # read and written as stored (see _raw), not converted
    fks_not_copied: list[str]


def _plans(tables: list[sa.Table], classified: dict[Ref, str], keys: set[Ref],
           dst: sa.Engine, src_dialect: str) -> list[_Plan]:
    """Destination tables: columns and primary keys; foreign keys to a copied table's primary
    key, DEFERRABLE INITIALLY DEFERRED (checked at commit, so cycles and order do not matter);
    no indexes or unique constraints (masked values may collide)."""
    schemas_ok = dst.dialect.name == "postgresql"
    same = dst.dialect.name == src_dialect
    meta = sa.MetaData()
    plans: dict[tuple[str | None, str], _Plan] = {}
    for t in tables:
        cols = [_col(c) for c in t.columns]
        whole = {c.column.name: classified[_ref(c.column)] for c in cols
                 if _ref(c.column) in classified and c.kind != "binary" and not c.structured}
        # An unknown type's values come as text (a composite row '(王小明,0912345678)'): masked so.
        free = [c for c in cols if c.kind in ("text", "unknown") and c.column.name not in whole
                and _ref(c.column) not in keys]
        structured = [c for c in cols if c.structured and _ref(c.column) not in keys]
        rewritten = set(whole) | {c.column.name for c in free + structured}
        serial = [c.name for c in t.columns if schemas_ok and same and c.name not in rewritten and _is_serial(c)]
        schema, name = (t.schema, t.name) if schemas_ok or not t.schema else (None, f"{t.schema}__{t.name}")
        new = sa.Table(name, meta, *[
            sa.Column(c.name, _dst_type(c, c.name in rewritten, same),
                      *([sa.Identity()] if c.name in serial else []),
                      primary_key=c.primary_key, nullable=c.nullable,
                      autoincrement="auto" if c.name in serial else False, comment=c.comment)
            for c in t.columns], schema=schema, comment=t.comment)
        raw = [c.column.name for c in cols
               if src_dialect == "sqlite" and c.kind in ("number", "unknown", "other", "json")]
        plans[t.schema, t.name] = _Plan(t, new, whole, free, structured,
                                        [c.column.name for c in cols if c.kind == "binary"], serial, raw, [])
    for plan in plans.values():
        for fkc in plan.table.foreign_key_constraints:
            referred = [_referred(e) for e in fkc.elements]
            parent = None if any(c is None for c in referred) else plans.get(
                (referred[0].table.schema, referred[0].table.name))
            if parent is None or {c.name for c in referred} != {c.name for c in parent.table.primary_key.columns}:
                plan.fks_not_copied.append(fkc.name or ",".join(e.parent.name for e in fkc.elements))
                continue
            refers = [c.name for c in referred]
            plan.new.append_constraint(sa.ForeignKeyConstraint(
                [e.parent.name for e in fkc.elements], [parent.new.c[r] for r in refers],
                name=fkc.name, deferrable=True, initially="DEFERRED"))
    return list(plans.values())


def _in_the_way(dst: sa.Engine, plans: list[_Plan], replace: bool) -> list[sa.Table]:
    """The destination's tables of the names to be written: refused, or (``replace``) returned
    to be dropped in the copy's transaction (a failed copy then keeps them, where DDL is
    transactional as on PostgreSQL)."""
    inspector = sa.inspect(dst)
    existing = {schema: set(inspector.get_table_names(schema=schema)) for schema in {p.new.schema for p in plans}}
    clash = [p.new for p in plans if p.new.name in existing[p.new.schema]]
    if clash and not replace:
        raise GeziError(f"目的資料庫已有資料表 destination already has tables: "
                        f"{', '.join(qualified(t) for t in clash)}（加上 --replace 先刪除 use --replace to drop them）")
    meta = sa.MetaData()
    return [sa.Table(t.name, meta, schema=t.schema, autoload_with=dst) for t in clash]


def _drop(out: sa.Connection, tables: list[sa.Table]) -> None:
    if not tables:
        return
    try:
        tables[0].metadata.drop_all(out, tables=tables)
    except SQLAlchemyError as exc:
        raise GeziError(f"無法刪除目的資料表 cannot drop destination tables: {type(exc).__name__}"
                        "（可能有其他資料表參照 other tables may refer to them）") from None


def mask_database(src_url: str, dst_url: str, method: str = "partial", key: bytes | None = None,
                  format_preserving: bool = False, sample: int = 1000,
                  entities: set[str] | None = None, *, schemas: list[str] | None = None,
                  seed: int = 0, replace: bool = False,
                  progress: Callable[[dict, int, int], None] | None = None) -> dict:
    """Copy every table to ``dst_url`` with PII masked; the source is only read.

    Columns classified as PII are masked whole (so no original value survives even where a
    value does not validate); in other text columns the values found are masked in place, in
    JSON and arrays each value under its key. Key columns (primary and foreign keys) are only
    masked whole, and then only by pseudonym, which keeps them unique and joinable. Tables are
    copied parents first in one transaction; ``progress`` is called after each table.
    """
    src = _engine(src_url)
    if safe_url(src_url) == safe_url(dst_url):  # both parse: _engine took the source
        src.dispose()
        raise GeziError("來源與目的相同 source and destination are the same database")
    try:
        dst = _engine(dst_url, source=False)
    except GeziError:
        src.dispose()
        raise
    report: dict = {"source": safe_url(src_url), "destination": safe_url(dst_url),
                    "method": method, "seed": seed, "tables": []}
    doing = "讀取結構 reflecting"  # named in an error: which table the account may not read
    try:
        tables = reflect(src, schemas).tables
        with src.connect() as conn:
            classified: dict[Ref, str] = {}
            for t in tables:
                doing = f"分類 classifying {qualified(t)}"
                info = classify_table(conn, t, sample, False, entities, seed)
                classified |= {(t.schema, t.name, c["column"]): c["classification"]
                               for c in info["columns"] if c["classification"]}
            keys, classified = _keys_held(tables, classified, method)
            plans = _plans(tables, classified, keys, dst, src.dialect.name)
            old = _in_the_way(dst, plans, replace)
            masker = _Masker(method, key, format_preserving, entities)
            with dst.begin() as out:
                doing = "建立資料表 creating tables"
                _drop(out, old)
                for schema in sorted({p.new.schema for p in plans if p.new.schema}):
                    out.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
                if plans:
                    plans[0].new.metadata.create_all(out)
                for i, plan in enumerate(plans, 1):
                    doing = f"複製 copying {qualified(plan.table)}"
                    doc = _copy_table(conn, out, plan, masker)
                    report["tables"].append(doc)
                    if progress:
                        progress(doc, i, len(plans))
                doing = "提交 committing"
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or _error_name(exc)
        raise GeziError(f"目的資料庫拒絕寫入（違反限制 {constraint}；來源可能有參照不存在之列） destination "
                        f"refused the rows: constraint {constraint}") from None
    except sa.exc.DBAPIError as exc:
        raise GeziError(f"複製失敗 copy failed ({doing}): {_error_name(exc)}") from None
    except SQLAlchemyError as exc:
        raise GeziError(f"複製失敗 copy failed ({doing}): {type(exc).__name__}") from None
    finally:
        src.dispose()
        dst.dispose()
    return report


def _copy_table(conn: sa.Connection, out: sa.Connection, plan: _Plan, masker: _Masker) -> dict:
    new, method, key, fp, entities = plan.new, masker.method, masker.key, masker.fp, masker.entities
    masked = Counter[str]()
    copied = 0
    batch: list[dict] = []

    def flush() -> None:
        # Free text is analyzed a column of the batch at a time (one analyzer call per column,
        # not per cell: a call costs ~30 µs before it reads a character).
        for col in plan.free_text:
            name = col.column.name
            where = [i for i, values in enumerate(batch)
                     if isinstance(values.get(name), str) and values[name]]
            cells = [batch[i][name] for i in where]
            for i, cell, hits in zip(where, cells, hits_per_segment(cells, entities, col.hint), strict=True):
                if hits:
                    batch[i][name] = mask_text(cell, hits, method, key, fp)
                    masked[name] += 1
        for col in plan.structured:
            name = col.column.name
            where = [i for i, values in enumerate(batch) if values.get(name) is not None]
            docs = [_parsed(batch[i][name], col) for i in where]
            items: list[tuple[str | None, str]] = []
            for doc in docs:
                _json_texts(doc, col.hint, items)
            texts = iter(_mask_grouped(items, masker))
            for i, doc in zip(where, docs, strict=True):
                new_doc = _json_masked(doc, texts)
                if new_doc != doc:
                    if isinstance(batch[i][name], str) and not isinstance(new_doc, str):
                        new_doc = json.dumps(new_doc, ensure_ascii=False)  # JSON kept as text stays text
                    batch[i][name] = new_doc
                    masked[name] += 1
        out.execute(insert, batch)
        batch.clear()

    # Written through a plain table clause whose raw columns have no type: nothing converts them.
    insert = sa.table(new.name, *[sa.column(c.name, sa.types.NullType() if c.name in plan.raw else c.type)
                                  for c in new.columns], schema=new.schema).insert()
    read = sa.select(*[_raw(c) if c.name in plan.raw else c for c in plan.table.columns])
    for row in conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(read):
        values = dict(row._mapping)
        for name, entity in plan.whole.items():
            text = _as_text(values.get(name))
            if text is not None:
                values[name] = mask_value(entity, text, method, key, fp)
                masked[name] += 1
        batch.append(values)
        copied += 1
        if len(batch) >= BATCH_ROWS:
            flush()
    if batch:
        flush()
    for name in plan.serial:  # the next row an application inserts gets the next number
        out.execute(sa.select(sa.func.setval(
            sa.func.pg_get_serial_sequence(out.dialect.identifier_preparer.format_table(new), name),
            sa.func.coalesce(sa.func.max(new.c[name]), 0) + 1, False)).select_from(new))
    doc = {"table": plan.table.name, "schema": plan.table.schema, "destination": qualified(new),
           "rows": copied, "masked_columns": plan.whole, "values_masked": dict(masked)}
    if plan.binary:
        doc["binary_columns_unscanned"] = plan.binary
    if plan.fks_not_copied:
        doc["foreign_keys_not_copied"] = plan.fks_not_copied
    return doc
