"""Helpers for writing SQL text."""


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def is_blank(expr: str = "line") -> str:
    """SQL: whether a line is empty or whitespace only (NULL counts as empty)."""
    return f"regexp_full_match(coalesce({expr}, ''), '\\s*')"


# CASE branch shared by every line parser: an empty or whitespace-only line (a trailing newline,
# the blank line after pfirewall.log's header, a log joined from parts) is neither a record nor
# damage. Reasons starting with '_' are not counted as lines, so it is not a skipped line either.
BLANK = f"WHEN {is_blank()} THEN '_blank'"
