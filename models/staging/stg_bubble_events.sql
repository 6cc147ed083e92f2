{{ stage_activity('bubble_events', text_columns=['bubble_id', 'action']) }}
