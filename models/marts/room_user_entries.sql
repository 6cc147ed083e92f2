-- Tab 4, "Usage (detailed view)", for all history: the rows of report.room_user_entries
-- (marts/report/report_room_user_entries.sql), kept, recomputed for the event apps that changed.
{{ config(**tab_mart_config()) }}

with

tab_rows as (
    select * from {{ ref('report_room_user_entries') }}
),

final as (
    {{ with_processed_load('tab_rows') }}
)

-- the report view's columns, then the plumbing ones: sqlfluff cannot count them
select * from final  -- noqa: AM04
