"""Time helpers: store UTC, show Asia/Taipei, and the ROC (民國) calendar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from gezi.core.errors import GeziError

TAIPEI = ZoneInfo("Asia/Taipei")
ROC_OFFSET = 1911


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (SQLite returns them) as UTC and convert aware ones to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 with offset (Asia/Taipei) for datetimes; plain ISO for dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).astimezone(TAIPEI).isoformat()
    return value.isoformat()


def roc_date(value: date | datetime) -> str:
    """A date in the ROC calendar as Taiwanese offices write it, e.g. 113年05月31日."""
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(TAIPEI).date()
    return f"{value.year - ROC_OFFSET}年{value.month:02d}月{value.day:02d}日"


def show_date(value: date | datetime | None, roc: bool = False) -> str:
    """A date (or a datetime's Taipei date) for display, Gregorian or ROC."""
    if value is None:
        return ""
    if roc:
        return roc_date(value)
    if isinstance(value, datetime):
        return as_utc(value).astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


_ROC_RE = re.compile(r"^\s*(?:民國)?\s*(\d{2,3})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str) -> date:
    """Parse 2024-05-31, or an ROC date such as 113/05/31 or 民國113年5月31日."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    m = _ROC_RE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            if y < 1:  # 民國元年 is 1912; earlier years are written 民國前
                raise ValueError("ROC years start at 1")
            return date(y + ROC_OFFSET, mo, d)
        except ValueError as exc:
            raise GeziError(f"無效的日期 invalid date: {text!r} ({exc})") from None
    raise GeziError(f"無法辨識的日期 unrecognized date: {text!r} (use YYYY-MM-DD or 113/05/31)")


_ROC_TIME_RE = re.compile(r"^(?P<day>.+?)(?:[\sT]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*$")


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 datetime, or an ROC date with a time (115/03/06 14:30); a value without
    offset is Asia/Taipei time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = _parse_roc_datetime(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=TAIPEI)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 in Taipei is before the first representable UTC instant
        raise GeziError(f"時間超出範圍 datetime out of range: {text!r}") from None


def _parse_roc_datetime(text: str) -> datetime:
    m = _ROC_TIME_RE.match(text.strip())
    if m and _ROC_RE.match(m["day"]):
        try:
            return datetime.combine(parse_date(m["day"]), time(int(m["h"] or 0), int(m["m"] or 0),
                                                               int(m["s"] or 0)))
        except ValueError as exc:
            raise GeziError(f"無效的時間 invalid datetime: {text!r} ({exc})") from None
    raise GeziError(f"無法辨識的時間 unrecognized datetime: {text!r} (use ISO 8601, e.g. "
                    "2026-03-06T14:30, or 115/03/06 14:30)")
