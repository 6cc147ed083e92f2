"""Event app codes: the one line for a code no event app has, in the export and the portal."""

import difflib
from collections.abc import Iterable

from smartsessions.errors import SmartSessionsError

KNOWN_CODES_LISTED = 10  # an unknown code with no close match lists this many known ones


def unknown_code(code: str, known: Iterable[str], suggest: bool = False) -> SmartSessionsError:
    """The error for a code as typed that no event app has: with `suggest`, the known codes
    close to it in any case ("did you mean"); else (or when none is close) at most ten known
    codes."""
    known = list(known)
    if suggest:
        by_lower = {event_id.lower(): event_id for event_id in known}
        close = difflib.get_close_matches(code.lower(), by_lower, n=3, cutoff=0.6)
        if close:
            hint = f"did you mean {' or '.join(by_lower[c] for c in close)}?"
            return SmartSessionsError(f"unknown event code {code!r}; {hint}")
        if not known:
            return SmartSessionsError(
                f"unknown event code {code!r}; the database holds no event app yet"
            )
    listed = sorted(known)[:KNOWN_CODES_LISTED]
    more = len(known) - len(listed)
    return SmartSessionsError(
        f"unknown event code {code!r}; known codes: {', '.join(listed) or 'none yet'}"
        + (f" and {more} more" if more else "")
    )
