"""schemathesis against both OpenAPI documents, inside the suite."""
