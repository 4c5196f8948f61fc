"""How long ago something happened, in words ("3 minutes ago"), for the admin's notices.

Said beside the clock time in the site's time zone, so an author reads one
clock however many places mention the moment.
"""

from __future__ import annotations

import datetime as dt


def time_ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    seconds = max(0, int(((now or dt.datetime.now(dt.timezone.utc)) - when).total_seconds()))
    if seconds < 60:
        return "less than a minute ago"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return "%d %s%s ago" % (count, unit, "" if count == 1 else "s")
    return ""  # not reached
