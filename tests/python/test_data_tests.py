"""The dbt project's own tests: each data test names the spec rule it guards, and the project's
settings (dbt vars) are settings: the build passes whatever documented value they take."""

import json
from pathlib import Path

import duckdb
import pytest

from smartsessions.landing.load import load_delivery
from smartsessions.pipeline.dbt_runner import invoke_dbt
from smartsessions.workspace import Workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delivery"


def test_every_data_test_describes_the_rule_it_guards(generated_db):
    manifest = json.loads((Workspace(generated_db).dbt / "target" / "manifest.json").read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    assert len(tests) > 100
    undescribed = sorted(node["name"] for node in tests if not node["description"].strip())
    assert undescribed == []
    multi_line = sorted(node["name"] for node in tests if "\n" in node["description"].strip())
    assert multi_line == []


@pytest.mark.parametrize(("bucket_minutes", "max_visit_minutes"), [(30, 60), (60, 480)])
def test_the_build_passes_with_other_bucket_and_visit_settings(
    tmp_path, bucket_minutes, max_visit_minutes
):
    """bucket_minutes and max_visit_minutes are documented as changeable (dbt_project.yml):
    every unit test pins the vars it depends on, so the whole build (unit and data tests)
    passes with other values, and the marts follow them."""
    db = tmp_path / "settings.duckdb"
    load_delivery(db, FIXTURE)
    settings = json.dumps(
        {"bucket_minutes": bucket_minutes, "max_visit_minutes": max_visit_minutes}
    )
    result = invoke_dbt(db, ["build", "--vars", settings])
    failed = [r.node.name for r in result.result.results if str(r.status) in {"fail", "error"}]
    assert result.success, failed
    with duckdb.connect(str(db), read_only=True) as con:
        starts = con.execute(
            "select distinct minute(bucket_start), max(bucket_minutes)"
            " from marts.room_join_buckets group by all"
        ).fetchall()
        shown = con.execute(
            "select distinct bucket_minutes, max_visit_minutes from marts.event_apps"
        ).fetchall()
        longest = con.execute(
            "select max(duration_microseconds) from intermediate.int_room_visits"
        ).fetchone()[0]
    assert starts
    assert all(minute % bucket_minutes == 0 and width == bucket_minutes for minute, width in starts)
    assert shown == [(bucket_minutes, max_visit_minutes)]
    assert longest <= max_visit_minutes * 60_000_000
