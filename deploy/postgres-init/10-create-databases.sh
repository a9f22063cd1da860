#!/bin/sh
# Runs once, on the first start of an empty data volume (docker-entrypoint-initdb.d).
# One role and one database per service: neither service can read the other's data,
# and neither connects as the superuser. The passwords come from the postgres
# container's environment (see docker-compose.yml); psql quotes them, so any
# character is safe here (the services' URLs still need URL-safe ones).
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v registry_password="$REGISTRY_DB_PASSWORD" \
    -v issuer_password="$ISSUER_DB_PASSWORD" <<'SQL'
CREATE ROLE registry LOGIN PASSWORD :'registry_password';
CREATE DATABASE registry OWNER registry;
REVOKE ALL ON DATABASE registry FROM PUBLIC;

CREATE ROLE issuer LOGIN PASSWORD :'issuer_password';
CREATE DATABASE issuer OWNER issuer;
REVOKE ALL ON DATABASE issuer FROM PUBLIC;
SQL
