-- Tab 6, "User engagement (bubble)", for all history: the rows of report.user_bubbles
-- (marts/report/report_user_bubbles.sql), kept, recomputed for the event apps that changed.
{{ config(**tab_mart_config()) }}

with

tab_rows as (
    select * from {{ ref('report_user_bubbles') }}
),

final as (
    {{ with_processed_load('tab_rows') }}
)

-- the report view's columns, then the plumbing ones: sqlfluff cannot count them
select * from final  -- noqa: AM04
