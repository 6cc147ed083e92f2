"""The Spark wing: what only the `spark` target needs."""
