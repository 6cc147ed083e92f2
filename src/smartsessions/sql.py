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


# What DuckDB's readers (read_csv, read_parquet, parquet_schema) expand in a path.
GLOB_CHARACTERS = "*?["


def exact_path(path) -> str:
    """The path as DuckDB's readers take it, naming only that file: each character they would
    expand is written as a bracket expression that matches only itself. DuckDB splits a path
    that it expands at backslashes too, so a path cannot hold both (see `load`)."""
    return "".join(f"[{char}]" if char in GLOB_CHARACTERS else char for char in str(path))
