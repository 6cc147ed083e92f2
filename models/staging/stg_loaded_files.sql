with

source as (
    select * from {{ source('raw', 'loaded_files') }}
),

renamed as (
    select
        -- the file
        file_hash,
        source_file,
        delivery_dir,
        table_name,

        -- what became of it
        status,
        records_loaded,
        records_rejected,

        -- lineage
        _load_id,
        _loaded_at
    from source
)

select * from renamed
