"""`serve`'s scheduled refresh (SMARTSESSIONS_REFRESH_DIR and _MINUTES): off unless both are
set, run when the server starts and then every so many minutes, a failure one log line; dbt's
parse of the project kept between runs, the working database never held between them."""

import json
import logging
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline import parsed_project, refresh
from smartsessions.portal.scheduler import RefreshDeliveries
from smartsessions.portal.settings import Settings

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"


def settings(tmp_path, **variables) -> Settings:
    environ = {f"SMARTSESSIONS_{name}": value for name, value in variables.items()}
    return Settings.from_environ(tmp_path / "portal.duckdb", environ)


def test_the_scheduled_refresh_is_off_unless_both_settings_are_given(tmp_path):
    off = settings(tmp_path)
    assert (off.refresh_dir, off.refresh_minutes) == (None, None)
    on = settings(tmp_path, REFRESH_DIR=str(tmp_path), REFRESH_MINUTES="10")
    assert (on.refresh_dir, on.refresh_minutes) == (tmp_path, 10.0)
    with pytest.raises(SmartSessionsError, match=r"REFRESH_MINUTES is set but not \S*REFRESH_DIR"):
        settings(tmp_path, REFRESH_MINUTES="10")
    with pytest.raises(SmartSessionsError, match=r"REFRESH_DIR is set but not \S*REFRESH_MINUTES"):
        settings(tmp_path, REFRESH_DIR=str(tmp_path))
    too_often = re.escape("REFRESH_MINUTES='0.5': expected a number >= 1")
    with pytest.raises(SmartSessionsError, match=too_often):
        settings(tmp_path, REFRESH_DIR=str(tmp_path), REFRESH_MINUTES="0.5")
    with pytest.raises(SmartSessionsError, match=re.escape("REFRESH_DIR='/no/such': no such")):
        settings(tmp_path, REFRESH_DIR="/no/such", REFRESH_MINUTES="10")


def test_it_runs_at_start_then_every_period_and_logs_a_failure_in_one_line(
    tmp_path, monkeypatch, caplog
):
    ran = []

    def failing(db_path, folder, **options):
        ran.append(folder)
        raise SmartSessionsError("dbt build failed: test x (fail)")

    monkeypatch.setattr(refresh, "refresh", failing)
    job = RefreshDeliveries(tmp_path / "x.duckdb", tmp_path, minutes=10)
    with caplog.at_level(logging.ERROR, logger="smartsessions.portal"):
        assert job.run(1000.0) == 1600.0
    failed = f"scheduled refresh of {tmp_path} failed: dbt build failed: test x (fail)"
    assert caplog.messages == [failed]
    assert job.run(1599.0) == 1600.0  # not yet due
    assert job.run(1600.0) == 2200.0
    assert ran == [tmp_path, tmp_path]


def test_dbt_parses_once_and_the_database_is_free_between_runs(tmp_path, monkeypatch):
    parses = []
    invoke = parsed_project.invoke_dbt

    def counted(db_path, args, **options):
        parses.append(args)
        return invoke(db_path, args, **options)

    monkeypatch.setattr(parsed_project, "invoke_dbt", counted)
    folder, db = tmp_path / "deliveries", tmp_path / "served.duckdb"
    shutil.copytree(FIXTURE, folder)
    job = RefreshDeliveries(db, folder, minutes=1)
    job.run(0.0)  # the complete build: nothing built before
    with duckdb.connect(str(db)) as con:  # a writer may open it between runs
        assert con.execute("select count(*) from marts.room_schedules").fetchone()[0] == 3
    joined = {"event_uuid": "j-late", "event_id": "LDN26", "room_id": "r2", "user_id": "u2"}
    joined |= {"occurred_at": "2026-03-30T11:00:00Z", "country_code": "GB"}
    (folder / "room_joins" / "day-3.jsonl").write_text(json.dumps(joined) + "\n")
    job.run(60.0)  # the refresh selection, on the project as parsed for the first run
    assert parses == [["parse"]]
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute("select count(*) from raw.room_joins where event_uuid = 'j-late'")
        assert found.fetchone()[0] == 1
        last_two = con.execute(
            "select status from marts.build_runs order by started_at desc limit 2"
        ).fetchall()
    assert last_two == [("success",), ("success",)]
