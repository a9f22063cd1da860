"""Fault injection with real processes: ``make chaos`` and the ``chaos`` tests."""
