"""The pipeline after the load: dbt run in process, the build, publishing for readers, refresh,
status and freshness."""
