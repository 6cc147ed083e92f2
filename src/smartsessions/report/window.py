"""A report's window: the local dates From and To, read one way in the CLI and the portal."""

import re
from dataclasses import dataclass
from datetime import date

from smartsessions.errors import SmartSessionsError

OPTIONS = {"start": "--from", "end": "--to"}  # the CLI's names of the window's bounds


def read_date(text: str) -> date:
    """A report window's date as people type it, in the CLI and the portal: exactly
    YYYY-MM-DD, a real day; ValueError otherwise. date.fromisoformat alone also takes
    20260328 and week dates (2026-W13-6, 2026W136), which the help and the errors do not
    promise; [0-9], as \\d matches other scripts' digits too."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return date.fromisoformat(text)


@dataclass(frozen=True)
class Window:
    start: date | None = None
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None

    @property
    def is_reversed(self) -> bool:
        """From after To: a window no day is in."""
        return bool(self.start and self.end and self.start > self.end)

    def describe(self) -> str:
        if self.is_open:
            return "all history"
        return f"{self.start or '…'} to {self.end or '…'}"


class NotADate(SmartSessionsError):
    """Bounds as typed that are not a date YYYY-MM-DD (`texts`: by bound, "start" or "end");
    as one line, the first of them with its option."""

    def __init__(self, texts: dict[str, str]):
        self.texts = texts
        bound, text = next(iter(texts.items()))
        super().__init__(f"{OPTIONS[bound]} {text!r} is not a date YYYY-MM-DD")


def read_window(start: str | None, end: str | None) -> Window:
    """The window of a From and a To as typed, None leaving that end open; NotADate names
    every bound that is not a date YYYY-MM-DD."""
    bounds: dict[str, date | None] = {}
    wrong: dict[str, str] = {}
    for bound, text in (("start", start), ("end", end)):
        try:
            bounds[bound] = None if text is None else read_date(text)
        except ValueError:
            wrong[bound] = text
    if wrong:
        raise NotADate(wrong)
    return Window(**bounds)


def check_window(window: Window) -> Window:
    """The window, or one line when From is after To."""
    if window.is_reversed:
        raise SmartSessionsError(f"--from {window.start} is after --to {window.end}")
    return window
