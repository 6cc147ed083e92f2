{#- A windowed tab is two relations. `report.<tab>` (models/marts/report/) is its business SQL
    for any window: a view whose window is read when it is queried (macros/report/
    report_window.sql). `marts.<tab>` keeps that view's rows for all history: incremental by
    event app, a run recomputes every row of the event apps that changed since the loads it had
    processed (their activity, a room, a name or the app itself) and keeps the others' rows as
    they are; report_order numbers each app's rows afresh. A windowed build (the dbt vars
    report_from / report_to) writes `report.<tab>` as a table of that window and leaves the
    marts as they are. -#}

{#- The config of a tab's report relation, `{{ config(**report_view_config('room_occupancy')) }}`:
    `report.<tab>`, a view, or a table of the window in a windowed build. -#}
{% macro report_view_config(tab) -%}
    {{ return({
        'schema': 'report',
        'alias': tab,
        'materialized': 'table' if report_window_is_set() else 'view',
    }) }}
{%- endmacro %}

{#- The config of a windowed tab mart, `{{ config(**tab_mart_config()) }}`: incremental by event
    app, and a run fails rather than change the mart's columns. -#}
{% macro tab_mart_config() -%}
    {%- set tab_config = {'materialized': 'incremental', 'on_schema_change': 'fail'} -%}
    {%- do tab_config.update(incremental_by(
        'event_id',
        unique_key='event_id',
        pre_hooks=["{{ remember_changed_event_apps() }}"],
        post_hooks=["{{ forget_changed_event_apps() }}", "{{ delete_rows_of_moved_rooms() }}"],
    )) -%}
    {{ return(tab_config) }}
{%- endmacro %}

{#- A tab mart's rows: those of its report relation (`tab_rows`, the mart's import CTE) for the
    event apps this run recomputes, with the load they were computed at. The changed event apps'
    refs are taken here, on every run, so that dbt knows the mart depends on them. -#}
{% macro with_processed_load(tab_rows) -%}
    {%- set changed = changed_event_apps() -%}
    select
        {{ tab_rows }}.*,
        latest_load.load_id as _processed_load_id
    from {{ tab_rows }}
    cross join {{ ref('int_latest_load') }} as latest_load
    where {{ recomputed_event_apps(tab_rows ~ '.event_id', changed) }}
{%- endmacro %}

{#- The event apps an incremental run of a tab mart recomputes (`this` is the mart). -#}
{% macro changed_event_apps() -%}
    {%- set processed = '(select coalesce(max(_processed_load_id), 0) from ' ~ this ~ ')' -%}
    {%- set rooms = ref('int_room_schedules') -%}
    select event_id from {{ ref('int_activity_checked') }} where _processed_load_id > {{ processed }}
    union
    select event_id from {{ rooms }} where _load_id > {{ processed }}
    union
    select event_id from {{ ref('int_people') }} where _load_id > {{ processed }}
    union
    select event_id from {{ ref('int_event_apps') }} where _load_id > {{ processed }}
    union
    -- a room that moved to another event app: its former app too
    select event_id from {{ this }}
    where room_id in (select room_id from {{ rooms }} where _load_id > {{ processed }})
{%- endmacro %}

{#- How an incremental model replaces what it recomputes. DuckDB: `delete+insert` of the rows
    with the same `unique_key`, with `pre_hooks` and `post_hooks` (DuckDB-only statements).
    Spark (parquet tables, no row-level delete): `insert_overwrite` of whole partitions of
    `partition_column`, so a Spark run recomputes every row of a partition it touches (the
    model's filter macros say how, dispatched like this one). -#}
{% macro incremental_by(partition_column, unique_key, pre_hooks=[], post_hooks=[]) -%}
    {{ return(adapter.dispatch('incremental_by', 'smartsessions')(partition_column, unique_key, pre_hooks, post_hooks)) }}
{%- endmacro %}

{% macro default__incremental_by(partition_column, unique_key, pre_hooks, post_hooks) -%}
    {{ return({
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'pre_hook': pre_hooks,
        'post_hook': post_hooks,
    }) }}
{%- endmacro %}

{% macro spark__incremental_by(partition_column, unique_key, pre_hooks, post_hooks) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [partition_column]}) }}
{%- endmacro %}

{#- DuckDB: the changed event apps reach inside the report view as the session variable
    `changed_event_apps`, set by the mart's pre-hook on the connection the mart's SQL runs on
    (a filter on top of the view would not be pushed through its group by and window
    functions, and a run would compute every event app). Unset (null), every event app. -#}
{% macro remember_changed_event_apps() -%}
    set variable changed_event_apps = {% if is_incremental() -%}
        (select coalesce(list(distinct event_id), []) from ({{ changed_event_apps() }}))
    {%- else -%}
        null
    {%- endif %}
{%- endmacro %}

{% macro forget_changed_event_apps() -%}
    reset variable changed_event_apps
{%- endmacro %}

{#- A condition on an event app column in a report view's inputs: the event apps the tab mart
    being built recomputes (every one when no mart is being built). Spark, which has no session
    variables, filters the mart instead (recomputed_event_apps). -#}
{% macro in_changed_event_apps(event_column) -%}
    {{ return(adapter.dispatch('in_changed_event_apps', 'smartsessions')(event_column)) }}
{%- endmacro %}

{% macro default__in_changed_event_apps(event_column) -%}
    (
        getvariable('changed_event_apps') is null
        or list_contains(getvariable('changed_event_apps'), {{ event_column }})
    )
{%- endmacro %}

{% macro spark__in_changed_event_apps(event_column) -%}
    true
{%- endmacro %}

{#- A condition on a tab mart's event app column: the rows this run writes. None in a windowed
    build; on DuckDB those of the changed event apps (the pre-hook's list); on Spark, the
    changed event apps `changed` (the query of changed_event_apps) on an incremental run. -#}
{% macro recomputed_event_apps(event_column, changed) -%}
    {%- if report_window_is_set() -%}
        false
    {%- else -%}
        {{ return(adapter.dispatch('recomputed_event_apps', 'smartsessions')(event_column, changed)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__recomputed_event_apps(event_column, changed) -%}
    {{ in_changed_event_apps(event_column) }}
{%- endmacro %}

{% macro spark__recomputed_event_apps(event_column, changed) -%}
    {%- if is_incremental() -%}
        {{ event_column }} in ({{ changed }})
    {%- else -%}
        true
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
        event_id in (
            select event_id from {{ checked }}
            where
                activity_type in ('room_join', 'room_leave')
                and (_processed_load_id > {{ processed }} or room_id in ({{ changed_rooms }}))
            union
            select event_id from {{ this }} where room_id in ({{ changed_rooms }})
            union
            select event_id from {{ event_apps }} where _load_id > {{ processed }}
        )
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
        (event_id, user_id) in (
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
        )
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
