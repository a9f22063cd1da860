#!/bin/sh
# Runs once, on the first start of an empty data volume (docker-entrypoint-initdb.d).
# One owner role and one database per service, plus the role each service logs in
# as: it owns nothing and gets only what the migrations grant it (shared/grants.py),
# so neither service can rewrite history, read the other's data, or act as superuser. The passwords come from the postgres
# container's environment (see docker-compose.yml); psql quotes them, so any
# character is safe here (the services' URLs still need URL-safe ones).
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v registry_password="$REGISTRY_DB_PASSWORD" \
    -v issuer_password="$ISSUER_DB_PASSWORD" \
    -v registry_app_password="$REGISTRY_APP_DB_PASSWORD" \
    -v issuer_app_password="$ISSUER_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE registry LOGIN PASSWORD :'registry_password';
CREATE DATABASE registry OWNER registry;
REVOKE ALL ON DATABASE registry FROM PUBLIC;
CREATE ROLE registry_app LOGIN PASSWORD :'registry_app_password';
GRANT CONNECT ON DATABASE registry TO registry_app;

CREATE ROLE issuer LOGIN PASSWORD :'issuer_password';
CREATE DATABASE issuer OWNER issuer;
REVOKE ALL ON DATABASE issuer FROM PUBLIC;
CREATE ROLE issuer_app LOGIN PASSWORD :'issuer_app_password';
GRANT CONNECT ON DATABASE issuer TO issuer_app;
SQL
