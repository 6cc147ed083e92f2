"""SQL text built from Python values: quoted identifiers and string literals."""


def quoted(name: str) -> str:
    """The name as an identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def literal(text) -> str:
    """The text (or a path) as a string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def literal_list(words) -> str:
    """String literals separated by commas, as `in (...)` takes them."""
    return ", ".join(literal(word) for word in words)
