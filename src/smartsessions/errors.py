"""The one exception type for errors a user can cause (the CLI prints it as one line)."""


class SmartSessionsError(Exception):
    """A user error: bad input, a missing folder, a database that is not ready."""
