"""W3C extended log files (IIS, Windows Defender Firewall's pfirewall.log): `#Fields:` segments.

Each `#Fields:` directive names the space-separated fields of the lines after it, up to the next
directive (a file may change its fields midway, e.g. when IIS logging is reconfigured), so the
fields are read by name, never by an assumed order.
"""

from __future__ import annotations

import duckdb


def fields_sql(con: duckdb.DuckDBPyConnection, lines: str, want: dict[str, str]) -> tuple[str, int]:
    """SELECT of every line of a lines table with the fields named in `want` and the number of
    `#Fields:` directives.

    `want` maps W3C field names (case-insensitive) to column names; a field the directive does not
    list, or written as '-', is NULL. Columns: rid, line, fits (the line has as many fields as
    its directive names; false for lines before the first directive) and the `want` columns.
    Trailing spaces and carriage returns are not fields.
    """
    headers = con.execute(f"SELECT rowid, line FROM {lines} WHERE starts_with(line, '#Fields:') "
                          f"ORDER BY rowid").fetchall()
    segments = []
    bounds = [rid for rid, _ in headers] + [None]
    for (start, line), end in zip(headers, bounds[1:], strict=True):
        names = line.removeprefix("#Fields:").split()
        pos = {want[n.lower()]: i + 1 for i, n in enumerate(names) if n.lower() in want}
        cols = ", ".join(f"nullif(f[{pos[c]}], '-') AS {c}" if c in pos else f"NULL AS {c}"
                         for c in want.values())
        cond = f"rowid >= {start}" + (f" AND rowid < {end}" if end is not None else "")
        segments.append(f"SELECT rid, line, len(f) = {len(names)} AS fits, {cols} "
                        f"FROM (SELECT rowid AS rid, line, string_split(rtrim(line, ' ' || chr(13)), ' ') AS f "
                        f"FROM {lines} WHERE {cond})")
    first = bounds[0] if headers else None
    orphan = ("SELECT rowid AS rid, line, false AS fits, "
              + ", ".join(f"NULL AS {c}" for c in want.values())
              + f" FROM {lines}" + (f" WHERE rowid < {first}" if first is not None else ""))
    return " UNION ALL ".join([orphan, *segments]), len(headers)
