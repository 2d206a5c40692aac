"""Accounting months (YYYY-MM) in the service centre's local time, and their UTC bounds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from marshmallow import validate

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTH = validate.Regexp(MONTH_RE, error="A month is written YYYY-MM")


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL_ZONE).date()


def month_of(at: datetime) -> str:
    return f"{local_day(at):%Y-%m}"


def is_month(value: str) -> bool:
    return bool(MONTH_RE.match(value or ""))


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - (mon == 1):04d}-{(mon - 2) % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a local month as aware UTC datetimes."""
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime.combine(date(year, mon, 1), time(), LOCAL_ZONE)
    following = next_month(month)
    end = datetime.combine(date(int(following[:4]), int(following[5:7]), 1), time(), LOCAL_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)
