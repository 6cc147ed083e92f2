"""Opening the database: names DuckDB would misread, files that are not databases."""

import pytest

from smartsessions.database import connect
from smartsessions.errors import SmartSessionsError


@pytest.mark.parametrize("name", ["raw", "marts", "temp", "System", "memory"])
def test_a_file_named_like_a_catalog_or_schema_is_refused(tmp_path, name):
    db = tmp_path / f"{name}.duckdb"
    with pytest.raises(SmartSessionsError, match="name the file anything but"):
        connect(db, create=True)
    assert not db.exists()


@pytest.mark.parametrize("name", ["o'brien", 'say "hi"'])
def test_a_file_named_with_quotes_is_refused(tmp_path, name):
    db = tmp_path / f"{name}.duckdb"
    with pytest.raises(SmartSessionsError, match="name the file without quotes"):
        connect(db, create=True)
    assert not db.exists()


def test_a_damaged_or_foreign_file_is_one_line(tmp_path):
    good = tmp_path / "good.duckdb"
    with connect(good, create=True) as con:
        con.execute("create table t as select range as n from range(100000)")
    truncated, foreign = tmp_path / "truncated.duckdb", tmp_path / "foreign.duckdb"
    truncated.write_bytes(good.read_bytes()[:20_000])
    foreign.write_text("not a database\n")
    for db in (truncated, foreign):
        with pytest.raises(SmartSessionsError) as failure:
            connect(db, read_only=True)
        assert str(failure.value).startswith(f"cannot open database {db}: ")
        assert "\n" not in str(failure.value)


def test_a_question_mark_in_the_path_is_refused_and_nothing_is_left(tmp_path):
    # DuckDB reads what follows a `?` as options: it made a 12 KB file that never worked
    folder = tmp_path / "reports?2026"
    folder.mkdir()
    db = folder / "landed.duckdb"
    with pytest.raises(SmartSessionsError) as refused:
        connect(db, create=True)
    assert str(refused.value) == (
        f"database {db}: DuckDB reads a `?` in the path as the start of options; move or rename it"
    )
    assert list(tmp_path.rglob("*")) == [folder]
