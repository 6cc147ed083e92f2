{#- The windowed tab marts are incremental by event app: a run recomputes every row of the event
    apps that changed since the loads it had processed (their activity, a room, a name or the
    app itself) and keeps the others' rows as they are; report_order numbers each app's rows
    afresh. A windowed build (report_from / report_to) always builds its marts whole. -#}

{% macro tab_mart_materialization() -%}
    {{ return('table' if report_window_bound('report_from') or report_window_bound('report_to') else 'incremental') }}
{%- endmacro %}

{#- The config of a windowed tab mart, `{{ config(**tab_mart_config()) }}`: written to `report`
    when a window is set (report_schema), incremental by event app otherwise, and a run fails
    rather than change the mart's columns. -#}
{% macro tab_mart_config() -%}
    {%- set tab_config = {
        'schema': report_schema(),
        'materialized': tab_mart_materialization(),
        'on_schema_change': 'fail',
    } -%}
    {%- do tab_config.update(incremental_by(
        'event_id', unique_key='event_id', post_hooks=["{{ delete_rows_of_moved_rooms() }}"]
    )) -%}
    {{ return(tab_config) }}
{%- endmacro %}

{#- How an incremental model replaces what it recomputes. DuckDB: `delete+insert` of the rows
    with the same `unique_key`, then `post_hooks` (DuckDB-only deletes). Spark (parquet tables,
    no row-level delete): `insert_overwrite` of whole partitions of `partition_column`, so a
    Spark run recomputes every row of a partition it touches (the model's filter macros say
    how, dispatched like this one). -#}
{% macro incremental_by(partition_column, unique_key, post_hooks=[]) -%}
    {{ return(adapter.dispatch('incremental_by', 'smartsessions')(partition_column, unique_key, post_hooks)) }}
{%- endmacro %}

{% macro default__incremental_by(partition_column, unique_key, post_hooks) -%}
    {{ return({
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'post_hook': post_hooks,
    }) }}
{%- endmacro %}

{% macro spark__incremental_by(partition_column, unique_key, post_hooks) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [partition_column]}) }}
{%- endmacro %}

{#- A condition on an event app column: the event apps this run recomputes. The refs are taken
    on every run so that dbt knows the dependencies when it parses the model. -#}
{% macro changed_event_apps_only(event_column) -%}
    {%- set checked = ref('int_activity_checked') -%}
    {%- set rooms = ref('int_room_schedules') -%}
    {%- set people = ref('int_people') -%}
    {%- set event_apps = ref('int_event_apps') -%}
    {%- if is_incremental() -%}
        {%- set processed = '(select coalesce(max(_processed_load_id), 0) from ' ~ this ~ ')' -%}
        {%- set changed_rooms = 'select room_id from ' ~ rooms ~ ' where _load_id > ' ~ processed -%}
        /* changed event apps */ {{ event_column }} in (
            select event_id from {{ checked }} where _processed_load_id > {{ processed }}
            union
            select event_id from {{ rooms }} where _load_id > {{ processed }}
            union
            select event_id from {{ people }} where _load_id > {{ processed }}
            union
            select event_id from {{ event_apps }} where _load_id > {{ processed }}
            union
            -- a room that moved to another event app: its former app too
            select event_id from {{ this }} where room_id in ({{ changed_rooms }})
        ) /* end changed event apps */
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: the rows of a room that now belongs to another event app (or no longer is one)
    go; its new app's rows were recomputed. -#}
{% macro delete_rows_of_moved_rooms() %}
    delete from {{ this }}
    where not exists (
        select 1 from {{ ref('int_room_schedules') }} as rooms
        where rooms.room_id = {{ this }}.room_id and rooms.event_id = {{ this }}.event_id
    )
{% endmacro %}

{#- A condition on (event_id, user_id): the people whose room visits this run walks again,
    because one of their joins or leaves is new or was attributed again, a room they were in
    changed (its schedule closes open visits) or their event app did (its time zone). On Spark,
    which overwrites whole event app partitions, every person of those people's event apps. -#}
{% macro changed_visitors_only() -%}
    {{ return(adapter.dispatch('changed_visitors_only', 'smartsessions')()) }}
{%- endmacro %}

{% macro spark__changed_visitors_only() -%}
    {%- set checked = ref('int_activity_checked') -%}
    {%- set rooms = ref('int_room_schedules') -%}
    {%- set event_apps = ref('int_event_apps') -%}
    {%- if is_incremental() -%}
        {%- set processed = '(select coalesce(max(_processed_load_id), 0) from ' ~ this ~ ')' -%}
        {%- set changed_rooms = 'select room_id from ' ~ rooms ~ ' where _load_id > ' ~ processed -%}
        /* changed visitors */ event_id in (
            select event_id from {{ checked }}
            where
                activity_type in ('room_join', 'room_leave')
                and (_processed_load_id > {{ processed }} or room_id in ({{ changed_rooms }}))
            union
            select event_id from {{ this }} where room_id in ({{ changed_rooms }})
            union
            select event_id from {{ event_apps }} where _load_id > {{ processed }}
        ) /* end changed visitors */
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro default__changed_visitors_only() -%}
    {%- set checked = ref('int_activity_checked') -%}
    {%- set rooms = ref('int_room_schedules') -%}
    {%- set event_apps = ref('int_event_apps') -%}
    {%- if is_incremental() -%}
        {%- set processed = '(select coalesce(max(_processed_load_id), 0) from ' ~ this ~ ')' -%}
        {%- set changed_rooms = 'select room_id from ' ~ rooms ~ ' where _load_id > ' ~ processed -%}
        /* changed visitors */ (event_id, user_id) in (
            select event_id, user_id from {{ checked }}
            where
                activity_type in ('room_join', 'room_leave')
                and (_processed_load_id > {{ processed }} or room_id in ({{ changed_rooms }}))
            union
            select event_id, user_id from {{ this }}
            where
                room_id in ({{ changed_rooms }})
                or event_id in (
                    select event_id from {{ event_apps }} where _load_id > {{ processed }}
                )
        ) /* end changed visitors */
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The rows of int_activity_checked a run takes again: those that satisfy the condition (the
    call's body) on DuckDB; on Spark, which overwrites whole partitions of `load_column`, every
    row of the loads that hold one. -#}
{% macro rows_of_changed_loads(load_column) -%}
    {{ return(adapter.dispatch('rows_of_changed_loads', 'smartsessions')(load_column, caller())) }}
{%- endmacro %}

{% macro default__rows_of_changed_loads(load_column, condition) -%}
    {{ condition }}
{%- endmacro %}

{% macro spark__rows_of_changed_loads(load_column, condition) -%}
    {{ load_column }} in (select {{ load_column }} from {{ this }} where {{ condition }})
{%- endmacro %}
