"""RFC 3339 timestamps parsed as instants, so they compare by time and not as text.

Services in other languages format the same instant differently: Go trims trailing zeros of the
fraction ("...:05.1Z"), Java may print nanoseconds, others use "+00:00". Text comparison would
call a later time earlier; parsing first does not.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_rfc3339(text: object) -> datetime | None:
    """The instant `text` names (timezone-aware, UTC), or None if it is not an RFC 3339 date-time."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))  # nanoseconds and beyond are cut, not rounded
    if zulu:
        zone = UTC
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(-offset if sign == "-" else offset)
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59), micro, zone)
    except ValueError:
        return None
    return moment.astimezone(UTC)
