{{ stage_activity('room_leaves') }}
