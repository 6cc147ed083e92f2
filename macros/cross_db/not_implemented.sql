{#- For a dispatched macro that has no portable default: say what a new engine must add. -#}
{% macro not_implemented(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ " has no implementation for " ~ target.type ~ ": add "
        ~ target.type ~ "__" ~ macro_name ~ " in macros/cross_db/" ~ macro_name ~ ".sql"
    ) }}
{%- endmacro %}
