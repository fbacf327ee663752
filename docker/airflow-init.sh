#!/usr/bin/env bash
# The airflow-init service of docker-compose.yaml, run once as root through the image's /entrypoint
# (which first waits for the metadata database): the Fernet key, Airflow metadata, the writer pool, the
# warehouse schema and roles, and the drop folder with the demo extracts and the sample police files.
set -euo pipefail

uid="${AIRFLOW_UID:-50000}"

# The Fernet key (AIRFLOW__CORE__FERNET_KEY_CMD reads it): FERNET_KEY if given, else generated, once.
# Readable by the Airflow user alone; never printed.
secret=/opt/airflow/secrets/fernet.key
if [[ ! -s "$secret" ]]; then
    ( umask 077 && python - > "$secret" <<'PY'
import os

from cryptography.fernet import Fernet

print(os.environ.get("FERNET_KEY") or Fernet.generate_key().decode())
PY
    )
    echo "Fernet key written to $secret"
fi
chown "$uid:0" "$secret" && chmod 0400 "$secret"

airflow db migrate
# PostgreSQL takes concurrent writers (DuckDB, in `make airflow-ui`, allows one).
airflow pools set warehouse_writer "${WAREHOUSE_WRITER_SLOTS:-8}" "Writers to the warehouse (PostgreSQL)"

# The warehouse database and its user are made by docker/postgres-init/ on a new volume.
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
