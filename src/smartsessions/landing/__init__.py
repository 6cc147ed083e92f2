"""Landing: a delivery checked file by file against the contract, written to DuckDB's raw
tables and their parquet mirror."""
