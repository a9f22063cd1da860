"""Code both services import: settings, database sessions, errors, auth, logging."""
