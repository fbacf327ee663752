#!/usr/bin/env bash
# The airflow-init service of docker-compose.yaml, run once as root through the image's /entrypoint
# (which first waits for the metadata database): Airflow metadata, the writer pool, the warehouse
# database and schema, and the drop folder with the demo extracts and the sample police files.
set -euo pipefail

uid="${AIRFLOW_UID:-50000}"

airflow db migrate
# PostgreSQL takes concurrent writers (DuckDB, in `make airflow-ui`, allows one).
airflow pools set warehouse_writer "${WAREHOUSE_WRITER_SLOTS:-8}" "Writers to the warehouse (PostgreSQL)"

# The warehouse database: made by docker/postgres-init/ on a new volume; made here if the volume is older.
python - <<'PY'
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from safer_communities.warehouse import url_from_connection

url = make_url(url_from_connection())
if url.get_backend_name() == "postgresql":
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                         dbname="postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
            print(f"created database {url.database}")
PY
python -m safer_communities migrate

# The working area is a named volume; the drop folder is ./var/drop. Give a new, empty drop folder
# the demo extracts of every source and the six real police months, so a triggered run has data.
if [[ -z "$(ls -A /opt/airflow/var/drop 2>/dev/null)" ]]; then
    python -m safer_communities demo --drop /opt/airflow/var/drop
fi
drop=/opt/airflow/var/drop/police
mkdir -p "$drop"
for sample in /opt/airflow/tests/fixtures/police_uk/*.csv; do
    [[ -e "$drop/$(basename "$sample")" ]] || install -o "$uid" -g 0 -m 0644 "$sample" "$drop/"
done
echo "drop folder: ./var/drop ($(find /opt/airflow/var/drop -type f | wc -l) files)"
chown -R "$uid:0" /opt/airflow/var/drop

# Anything root made in the shared volumes must stay writable by the Airflow user.
chown "$uid:0" /opt/airflow/var
chown -R "$uid:0" /opt/airflow/logs
