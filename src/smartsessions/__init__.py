"""Smart Sessions analytics: load raw deliveries, build the dbt marts, export the report."""
