-- Tab 7, "User engagement (teleport)", for all history: the rows of report.user_teleports
-- (marts/report/report_user_teleports.sql), kept, recomputed for the event apps that changed.
{{ config(**tab_mart_config()) }}

with

tab_rows as (
    select * from {{ ref('report_user_teleports') }}
),

final as (
    {{ with_processed_load('tab_rows') }}
)

-- the report view's columns, then the plumbing ones: sqlfluff cannot count them
select * from final  -- noqa: AM04
