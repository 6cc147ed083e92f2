{#- A top-level text field of a JSON object held as text; empty when the text is not JSON. -#}
{% macro json_text_field(json_text, field) -%}
    {{ return(adapter.dispatch('json_text_field', 'smartsessions')(json_text, field)) }}
{%- endmacro %}

{% macro default__json_text_field(json_text, field) -%}
    {{ not_implemented('json_text_field') }}
{%- endmacro %}

{% macro duckdb__json_text_field(json_text, field) -%}
    case
        when json_valid({{ json_text }})
            then json_extract_string({{ json_text }}, '$.{{ field }}')
    end
{%- endmacro %}

{#- get_json_object is null for text that is not JSON. -#}
{% macro spark__json_text_field(json_text, field) -%}
    get_json_object({{ json_text }}, '$.{{ field }}')
{%- endmacro %}
