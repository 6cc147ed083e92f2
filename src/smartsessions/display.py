"""Text for the terminal: names from a delivery can hold anything, and a terminal acts on
control characters (escape codes, a newline) and rich on its markup (`[bold]`, `[/x]`)."""

from rich.markup import escape


def printable(text: str) -> str:
    """The text with every character a terminal would act on shown escaped (`\\x1b`, `\\n`)."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode() for char in text
    )


def progress_label(text: str) -> str:
    """The text as a rich progress bar shows it literally: printable, its markup escaped."""
    return escape(printable(text))
