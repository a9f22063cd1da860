"""The access log made tamper-evident and answerable: hash chain, signed head,
verification, and "who consulted me" (services/registry/audit.py writes the rows)."""
