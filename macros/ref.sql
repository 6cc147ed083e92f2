{#- Every ref without the database's name: `intermediate.int_room_visits`, not
    `"smartsessions"."intermediate"."int_room_visits"`. The report views are copied as they
    are into the published catalog (pipeline/publish.py), a file of another name that holds the
    same schemas and relations, where a database-qualified name would point nowhere. The
    working database is the connection's default one, so nothing else changes. The override
    is dbt's own (https://docs.getdbt.com/reference/dbt-jinja-functions/builtins). -#}
{% macro ref() %}
    {%- set version = kwargs.get('version') or kwargs.get('v') -%}
    {%- if varargs | length == 1 -%}
        {%- set relation = builtins.ref(varargs[0], version=version) -%}
    {%- else -%}
        {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
    {%- endif -%}
    {{ return(relation.include(database=false)) }}
{% endmacro %}
