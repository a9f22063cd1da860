"""``make demo``: a realistic scenario against the running services."""
