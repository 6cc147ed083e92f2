"""dbt's parsed project, kept between runs by a process that runs dbt again and again (`serve`'s
scheduled refresh): dbt reads and parses the project before each run otherwise, a second or
more of every refresh. It is kept per database and target, and parsed again when the package or
its dbt project changed (build_record.project_fingerprint). A parsed project is dbt's manifest
only: no connection, so nothing holds the working database open between runs."""

from pathlib import Path

from dbt.contracts.graph.manifest import Manifest

from smartsessions.errors import SmartSessionsError
from smartsessions.pipeline.build_record import project_fingerprint
from smartsessions.pipeline.dbt_runner import invoke_dbt


class ParsedProjects:
    def __init__(self) -> None:
        self._parsed: dict[tuple[Path, str], tuple[str, Manifest]] = {}

    def manifest(self, db_path: Path, target: str = "duckdb") -> Manifest:
        fingerprint = project_fingerprint()
        kept = self._parsed.get((db_path, target))
        if kept is None or kept[0] != fingerprint:
            result = invoke_dbt(db_path, ["parse"], target=target)
            if not result.success:
                raise SmartSessionsError(f"dbt parse failed: {result.exception}")
            kept = self._parsed[(db_path, target)] = (fingerprint, result.result)
        return kept[1]
