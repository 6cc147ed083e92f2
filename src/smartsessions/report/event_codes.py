"""Event app codes: the one lookup of a code as typed, for the export and the portal, and the
one line for a code no event app has."""

import difflib
from collections.abc import Iterable

from smartsessions.errors import SmartSessionsError

KNOWN_CODES_LISTED = 10  # an unknown code with no close match lists this many known ones


class UnknownCode(SmartSessionsError):
    """A code no event app has (its message is the one line the user sees)."""


def lookup_code(known: Iterable[str], code: str, *, any_case: bool) -> str:
    """The known code that `code` names, else raises UnknownCode with the one line.

    `known` is every event app's code (marts.event_apps of the published catalog). Two rules,
    kept apart because each caller is relied on as it is (the spec names no case rule; cli.md
    keeps the commands' behaviours stable for outside checks and scheduled jobs):

    - exact (`any_case=False`), the command line's `export --event CODE` (workbook and data
      files): the code exactly as given, as scripts pass it the way the catalog spells it. A
      code that differs in case or by a slip is refused, and the line suggests the close codes
      in any case ("did you mean LDN26?"), else lists at most ten known ones.
    - any case (`any_case=True`), the portal: the code a person types on the Event page, and
      the codes of `user add/grant`. Surrounding spaces are ignored; the exact code wins, else
      the one code equal in any case (two codes differing only in case: neither, the typed
      code is ambiguous). The line lists at most ten known codes, no suggestions (the portal's
      page never shows it: an unknown code and one not granted look the same there).
    """
    known = list(known)
    wanted = code.strip() if any_case else code
    if wanted in known:
        return wanted
    if any_case:
        matches = [key for key in known if key.casefold() == wanted.casefold()]
        if len(matches) == 1:
            return matches[0]
    raise _unknown_code(code, known, suggest=not any_case)


def _unknown_code(code: str, known: Iterable[str], suggest: bool = False) -> UnknownCode:
    """The error for a code as typed that no event app has: with `suggest`, the known codes
    close to it in any case ("did you mean"); else (or when none is close) at most ten known
    codes."""
    known = list(known)
    if suggest:
        by_lower = {event_id.lower(): event_id for event_id in known}
        close = difflib.get_close_matches(code.lower(), by_lower, n=3, cutoff=0.6)
        if close:
            hint = f"did you mean {' or '.join(by_lower[c] for c in close)}?"
            return UnknownCode(f"unknown event code {code!r}; {hint}")
        if not known:
            return UnknownCode(f"unknown event code {code!r}; the database holds no event app yet")
    listed = sorted(known)[:KNOWN_CODES_LISTED]
    more = len(known) - len(listed)
    return UnknownCode(
        f"unknown event code {code!r}; known codes: {', '.join(listed) or 'none yet'}"
        + (f" and {more} more" if more else "")
    )
