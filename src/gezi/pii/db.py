"""Databases: classify columns by name hints and sampled values; copy with PII masked.

Any SQLAlchemy URL works (SQLite and PostgreSQL are tested). The first ``sample`` rows of each
table are read (``full`` reads all, streaming); a column is classified as the entity found in at
least ``MIN_SHARE`` of its non-empty sampled values, or — when values say nothing — as the entity
its name suggests.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from gezi.core.db import safe_url
from gezi.core.errors import GeziError
from gezi.pii.analyzer import analyze_segments, hits_per_segment
from gezi.pii.masking import mask_text, mask_value
from gezi.pii.registry import get_registry

MIN_SHARE = 0.3
WHOLE_VALUE = 0.8  # a hit covering this much of a value makes it a value *of* that entity
BATCH_ROWS = 1000


def _engine(url: str) -> sa.Engine:
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
    except (ArgumentError, NoSuchModuleError) as exc:
        raise GeziError(f"資料庫網址無效 invalid database URL: {exc}") from None
    except SQLAlchemyError as exc:
        raise GeziError(f"無法連線資料庫 cannot connect: {type(exc).__name__}") from None
    return engine


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bytes | bytearray | memoryview | bool):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _rows(conn: sa.Connection, table: sa.Table, sample: int, full: bool) -> Iterator[Any]:
    stmt = sa.select(table)
    if not full:
        stmt = stmt.limit(sample)
    yield from conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(stmt)


def _classify(non_null: int, rows_whole: Counter[str], rows_with: Counter[str],
              hints: list[str]) -> tuple[str | None, str | None]:
    """The entity a column holds, and on what basis; free text that merely contains PII gets
    None (its values are masked span by span)."""
    if non_null and rows_whole:
        entity, count = rows_whole.most_common(1)[0]
        if count / non_null >= MIN_SHARE:
            return entity, "values+name" if entity in hints else "values"
    if hints and (non_null == 0 or not rows_with or any(rows_with.get(h) for h in hints)):
        return hints[0], "name"
    return None, None


def classify_table(conn: sa.Connection, table: sa.Table, sample: int, full: bool,
                   entities: set[str] | None) -> dict:
    """Per-column entity shares of one table."""
    registry = get_registry()
    columns = list(table.columns)
    non_null = Counter[str]()
    rows_with: dict[str, Counter[str]] = {c.name: Counter() for c in columns}
    rows_whole: dict[str, Counter[str]] = {c.name: Counter() for c in columns}
    scanned = 0
    batch: list[Any] = []

    def flush() -> None:
        for col in columns:
            texts = [(_as_text(row._mapping[col])) for row in batch]
            present = [t for t in texts if t is not None]
            non_null[col.name] += len(present)
            seen: set[tuple[int, str]] = set()
            whole: set[tuple[int, str]] = set()
            for i, (entity, start, end, _score, _value) in analyze_segments(
                    present, entities, col.name):
                seen.add((i, entity))
                if end - start >= WHOLE_VALUE * len(present[i].strip()):
                    whole.add((i, entity))
            rows_with[col.name].update(entity for _, entity in seen)
            rows_whole[col.name].update(entity for _, entity in whole)
        batch.clear()

    for row in _rows(conn, table, sample, full):
        batch.append(row)
        scanned += 1
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()
    out = []
    for col in columns:
        hints = [registry.recognizers[i].entity for i in sorted(registry.column_matches(col.name))]
        hints = [h for h in dict.fromkeys(hints) if entities is None or h in entities]
        n = non_null[col.name]
        entity, basis = _classify(n, rows_whole[col.name], rows_with[col.name], hints)
        whole = rows_whole[col.name]
        out.append({
            "column": col.name, "type": str(col.type), "name_hints": hints, "non_null": n,
            "entities": {e: {"rows": c, "share": round(c / n, 4) if n else 0.0,
                             "whole_value_rows": whole.get(e, 0)}
                         for e, c in rows_with[col.name].most_common()},
            "classification": entity, "basis": basis,
        })
    return {"table": table.name, "schema": table.schema, "rows_scanned": scanned, "columns": out}


def _tables(engine: sa.Engine) -> list[sa.Table]:
    meta = sa.MetaData()
    try:
        meta.reflect(bind=engine)
    except SQLAlchemyError as exc:
        raise GeziError(f"無法讀取資料表結構 cannot reflect tables: {type(exc).__name__}") from None
    return list(meta.sorted_tables)


def scan_database(url: str, sample: int = 1000, full: bool = False, entities=None) -> dict:
    """Classify the columns of every table: name hints plus sampled rows (``full``: all rows)."""
    if sample < 1:
        raise GeziError("--sample 必須 ≥ 1 must be at least 1")
    get_registry()
    engine = _engine(url)
    try:
        tables = _tables(engine)
        with engine.connect() as conn:
            results = [classify_table(conn, t, sample, full, entities) for t in tables]
    finally:
        engine.dispose()
    pii_columns = sum(1 for t in results for c in t["columns"] if c["classification"])
    return {"database": safe_url(url), "sample": None if full else sample, "full": full,
            "tables": results, "summary": {"tables": len(results), "pii_columns": pii_columns}}


def _dst_type(col: sa.Column, masked: bool) -> sa.types.TypeEngine:
    if isinstance(col.type, sa.types.NullType):
        return sa.Text()
    if masked and not isinstance(col.type, sa.String | sa.Text):
        return sa.Text()  # a masked phone stored as INTEGER needs text to hold 0912-***-678
    return col.type.as_generic() if hasattr(col.type, "as_generic") else col.type


def mask_database(src_url: str, dst_url: str, method: str = "partial", key: bytes | None = None,
                  format_preserving: bool = False, sample: int = 1000,
                  entities: set[str] | None = None) -> dict:
    """Copy every table to ``dst_url`` with PII masked; the source is only read.

    Columns classified as PII are masked whole (so no original value survives even where a
    value does not validate); in other text columns the values found are masked in place.
    Primary keys are kept as columns; indexes, unique and foreign-key constraints are not
    copied (masked values may collide, e.g. two people with the same partial mask).
    """
    if safe_url(src_url) == safe_url(dst_url):
        raise GeziError("來源與目的相同 source and destination are the same database")
    src = _engine(src_url)
    dst = _engine(dst_url)
    report: dict = {"source": safe_url(src_url), "destination": safe_url(dst_url),
                    "method": method, "tables": []}
    try:
        tables = _tables(src)
        existing = set(sa.inspect(dst).get_table_names())
        clash = sorted(existing & {t.name for t in tables})
        if clash:
            raise GeziError(f"目的資料庫已有資料表 destination already has tables: {', '.join(clash)}")
        with src.connect() as conn:
            for table in tables:
                info = classify_table(conn, table, sample, False, entities)
                classified = {c["column"]: c["classification"] for c in info["columns"]
                              if c["classification"]}
                pk_pii = [c.name for c in table.primary_key.columns if c.name in classified]
                if pk_pii and method != "pseudonym":
                    raise GeziError(f"{table.name}.{pk_pii[0]}: 主鍵含個資需用 pseudonym "
                                    "a primary key holding PII needs --method pseudonym")
                report["tables"].append(_copy_table(conn, dst, table, classified, method, key,
                                                    format_preserving, entities))
    finally:
        src.dispose()
        dst.dispose()
    return report


def _copy_table(conn: sa.Connection, dst: sa.Engine, table: sa.Table, classified: dict[str, str],
                method: str, key: bytes | None, fp: bool, entities: set[str] | None) -> dict:
    new = sa.Table(table.name, sa.MetaData(), *[
        sa.Column(c.name, _dst_type(c, c.name in classified), primary_key=c.primary_key,
                  nullable=c.nullable, autoincrement=False)
        for c in table.columns])
    new.create(dst)
    masked = Counter[str]()
    copied = 0
    text_columns = [c.name for c in table.columns
                    if isinstance(c.type, sa.String | sa.Text) and c.name not in classified]
    batch: list[dict] = []

    def flush(out: sa.Connection) -> None:
        # Free text is analyzed a column of the batch at a time (one analyzer call per column,
        # not per cell: a call costs ~30 µs before it reads a character).
        for name in text_columns:
            where = [i for i, values in enumerate(batch)
                     if isinstance(values.get(name), str) and values[name]]
            cells = [batch[i][name] for i in where]
            for i, cell, hits in zip(where, cells, hits_per_segment(cells, entities, name), strict=True):
                if hits:
                    batch[i][name] = mask_text(cell, hits, method, key, fp)
                    masked[name] += 1
        out.execute(new.insert(), batch)
        batch.clear()

    with dst.begin() as out:
        for row in _rows(conn, table, 0, True):
            values = dict(row._mapping)
            for name, entity in classified.items():
                text = _as_text(values.get(name))
                if text is not None:
                    values[name] = mask_value(entity, text, method, key, fp)
                    masked[name] += 1
            batch.append(values)
            copied += 1
            if len(batch) >= BATCH_ROWS:
                flush(out)
        if batch:
            flush(out)
    return {"table": table.name, "rows": copied, "masked_columns": classified,
            "values_masked": dict(masked)}
