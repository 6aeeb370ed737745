"""SMS: the gateway interface and its backends, message texts, planning and dispatch."""
