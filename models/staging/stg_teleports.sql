{{ stage_activity('teleports', text_columns=['target_user_id']) }}
