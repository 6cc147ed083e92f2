-- Tab 3, "Usage graph", for all history: the rows of report.room_join_buckets
-- (marts/report/report_room_join_buckets.sql), kept, recomputed for the event apps that changed.
{{ config(**tab_mart_config()) }}

with

tab_rows as (
    select * from {{ ref('report_room_join_buckets') }}
),

final as (
    {{ with_processed_load('tab_rows') }}
)

-- the report view's columns, then the plumbing ones: sqlfluff cannot count them
select * from final  -- noqa: AM04
