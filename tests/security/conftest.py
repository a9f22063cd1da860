"""Security tests look at both services' databases."""

from tests.issuer.conftest import issuer_database, issuer_db_url

__all__ = ["issuer_database", "issuer_db_url"]
