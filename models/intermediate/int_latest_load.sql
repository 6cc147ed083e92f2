{{ config(materialized='table') }}

-- The latest load run in the database: every incremental model stamps the rows it writes with
-- it (_processed_load_id), and starts its next run from what it had processed.
with

loaded_files as (
    select * from {{ ref('stg_loaded_files') }}
),

final as (
    select coalesce(max(_load_id), 0) as load_id
    from loaded_files
)

select * from final
