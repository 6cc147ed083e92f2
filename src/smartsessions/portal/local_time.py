"""Moments as the pages and emails show them: in the event app's time zone, named
(`2026-03-29 14:05 Europe/London`), since the organiser reads the report's local dates beside
them. Only the email's `Data as of: … UTC` line stays in UTC, as portal.md writes it."""

from datetime import datetime
from zoneinfo import ZoneInfo


def local_text(moment: datetime, timezone: str) -> str:
    """A UTC moment in the event app's time zone, to the minute, with the zone's IANA name."""
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} {timezone}"
