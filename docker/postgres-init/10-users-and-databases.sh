#!/usr/bin/env bash
# Run once by the postgres image on a new data volume, as its superuser (docker-compose.yaml mounts
# this folder at /docker-entrypoint-initdb.d). The superuser serves nothing else: Airflow's metadata
# and the warehouse each get their own login and database.
#   AIRFLOW_DB_USER / _PASSWORD / _NAME       Airflow's metadata: owns its database, no other right
#   WAREHOUSE_DB_USER / _PASSWORD / _NAME     the pipeline: owns the warehouse database, and may create
#                                             roles (CREATEROLE), so `safer-communities migrate` makes
#                                             sc_loader, sc_analyst and sc_reporter; not a superuser
# The same script sets up the test suite's deployment test (tests/test_deployment.py).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v airflow_user="${AIRFLOW_DB_USER:-airflow}" -v airflow_password="${AIRFLOW_DB_PASSWORD:?}" \
    -v airflow_db="${AIRFLOW_DB_NAME:-airflow}" \
    -v warehouse_user="${WAREHOUSE_DB_USER:-sc_pipeline}" -v warehouse_password="${WAREHOUSE_DB_PASSWORD:?}" \
    -v warehouse_db="${WAREHOUSE_DB_NAME:-warehouse}" <<'SQL'
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
CREATE ROLE :"warehouse_user" LOGIN CREATEROLE PASSWORD :'warehouse_password';
CREATE DATABASE :"warehouse_db" OWNER :"warehouse_user";
SQL
