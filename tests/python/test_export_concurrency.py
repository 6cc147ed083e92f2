"""Exports side by side, as the portal runs them: real processes, read-only, never in each
other's way nor an analyst's."""

import subprocess
import sys
from pathlib import Path

import duckdb
from openpyxl import load_workbook

SMARTSESSIONS = str(Path(sys.executable).parent / "smartsessions")
# An analyst's session: a read-only connection held open, querying the marts until a file
# named by its second argument appears; then it prints how many rounds of queries it ran.
ANALYST = """
import duckdb, os, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
rounds = 0
while rounds == 0 or not os.path.exists(sys.argv[2]):
    con.execute("select event_id, sum(user_count) from marts.room_countries group by 1").fetchall()
    con.execute("select count(*) from marts.room_join_buckets").fetchall()
    rounds += 1
print(rounds, flush=True)
"""


def export_command(db: Path, out: Path, event: str, day: str | None) -> list[str]:
    window = ["--from", day, "--to", day] if day else []
    return [SMARTSESSIONS, "--db", str(db), "export", "--event", event, "--out", str(out), *window]


def cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values but the time the workbook was generated."""
    book = load_workbook(path, read_only=True)
    return {
        sheet.title: [
            row for row in sheet.iter_rows(values_only=True) if row[0] != "Generated at (UTC)"
        ]
        for sheet in book.worksheets
    }


def eight_jobs(db: Path) -> list[tuple[str, str | None]]:
    """Every event app for all history, and the three busiest (event, local day) pairs."""
    with duckdb.connect(str(db), read_only=True) as con:
        events = [e for (e,) in con.execute("select event_id from marts.event_apps").fetchall()]
        days = con.execute(
            "select event_id, cast(activity_date as varchar) from marts.user_room_days"
            " group by all order by count(*) desc, 1, 2 limit 3"
        ).fetchall()
    jobs = [(event, None) for event in sorted(events) if event != "GHOST26"][:5] + days
    assert len(jobs) == 8
    return jobs


def test_eight_exports_at_once_beside_an_analyst_match_one_at_a_time(generated_db, tmp_path):
    jobs = eight_jobs(generated_db)
    stop = tmp_path / "analyst-stops"
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(generated_db), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert analyst.stdout.readline().strip() == "ready"
    together = [
        subprocess.Popen(
            export_command(generated_db, tmp_path / f"together-{n}.xlsx", event, day),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, (event, day) in enumerate(jobs)
    ]
    outcomes = [(process.wait(), process.stderr.read()) for process in together]
    stop.touch()
    assert analyst.wait() == 0  # every query of the analyst ran, before, during and after
    assert int(analyst.stdout.read()) > 1
    assert outcomes == [(0, "")] * 8
    for n, (event, day) in enumerate(jobs):
        alone = tmp_path / f"alone-{n}.xlsx"
        subprocess.run(export_command(generated_db, alone, event, day), check=True)
        assert cells(tmp_path / f"together-{n}.xlsx") == cells(alone), (event, day)


def test_an_export_while_a_writer_holds_the_working_database_reads_what_was_published(
    generated_db, tmp_path, another_process_holding
):
    """A load or a build holds the working database's write lock; the export reads the
    published catalog, which no writer ever holds."""
    out = tmp_path / "r.xlsx"
    with another_process_holding(generated_db):
        result = subprocess.run(
            export_command(generated_db, out, "LDN26", None), capture_output=True, text=True
        )
    assert (result.returncode, result.stderr) == (0, "")
    assert out.exists()
