{{ stage_activity('chat_messages') }}
