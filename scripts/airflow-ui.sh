#!/usr/bin/env bash
# The Airflow UI on this machine, natively (no Docker): api-server, scheduler,
# dag-processor and triggerer under the LocalExecutor, SQLite metadata under
# $AIRFLOW_HOME, the DuckDB warehouse under $SAFER_COMMUNITIES_HOME.
#
# Run it with `make airflow-ui` (which migrates the metadata database and creates
# the warehouse_writer pool first). Ctrl-C stops every service it started.
#
# LOCAL USE ONLY: the login is admin/admin (SimpleAuthManager, plaintext password
# file) and the server listens on 127.0.0.1 unless AIRFLOW_UI_HOST says otherwise.
#
# Environment: AIRFLOW_UI_PORT (default 8080), AIRFLOW_UI_HOST (default 127.0.0.1),
# AIRFLOW_HOME, SAFER_COMMUNITIES_HOME, AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
cd "$ROOT"

# The same defaults as the Makefile, so the script also works when run by hand.
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/var/airflow}"
export SAFER_COMMUNITIES_HOME="${SAFER_COMMUNITIES_HOME:-$ROOT/var}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$ROOT/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$ROOT/plugins}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export GX_ANALYTICS_ENABLED="${GX_ANALYTICS_ENABLED:-False}"

PORT="${AIRFLOW_UI_PORT:-8080}"
HOST="${AIRFLOW_UI_HOST:-127.0.0.1}"
URL="http://localhost:$PORT"
LOGS="$AIRFLOW_HOME/logs"
mkdir -p "$AIRFLOW_HOME" "$LOGS" "$SAFER_COMMUNITIES_HOME"
SC_HOME="$(cd "$SAFER_COMMUNITIES_HOME" && pwd -P)"

export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
# The LocalExecutor starts one worker process per slot (32 by default); 8 is plenty on a laptop.
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-8}"
# Task processes reach the execution API at {base_url}/execution/, so it must name this port.
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-$URL}"
export AIRFLOW__API__HOST="$HOST" AIRFLOW__API__PORT="$PORT"

# Login admin/admin: SimpleAuthManager reads passwords from this JSON file (local use only).
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/simple_auth_manager_passwords.json}"
PASSWORDS="$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
"$BIN/python" - "$PASSWORDS" <<'PY'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
try:
    passwords = json.loads(path.read_text() or "{}")
except (FileNotFoundError, ValueError):
    passwords = {}
passwords["admin"] = "admin"
path.write_text(json.dumps(passwords) + "\n")
PY
chmod 600 "$PASSWORDS"

# The warehouse: the DuckDB file in the working area, unless the caller set the connection.
WAREHOUSE="connection safer_communities_warehouse from AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE"
if [[ -z "${AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE:-}" ]]; then
    WAREHOUSE="duckdb:///$SC_HOME/warehouse.duckdb"
    export AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE="{\"conn_type\": \"generic\", \"extra\": {\"sqlalchemy_url\": \"$WAREHOUSE\"}}"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "airflow-ui: port $PORT is already in use; set AIRFLOW_UI_PORT to another port" >&2
    exit 1
fi

# Pseudonymisation: the local demo key (the one `make run` uses), unless the caller set the connection.
if [[ -z "${AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION:-}" ]]; then
    KEYFILE="$SC_HOME/demo/pseudonymisation.key"
    if [[ ! -s "$KEYFILE" ]]; then
        mkdir -p "$(dirname "$KEYFILE")"
        (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' > "$KEYFILE")
    fi
    export AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION="{\"conn_type\": \"generic\", \"password\": \"$(cat "$KEYFILE")\"}"
fi

# The warehouse schema, and data for a triggered run: unless the caller set a drop folder, the demo
# extracts of every source (FY 2013/14 to 2015/16 Q1) plus the six real police months of 2020.
"$BIN/safer-communities" migrate
if [[ -z "${SAFER_COMMUNITIES_DROP:-}" ]]; then
    export SAFER_COMMUNITIES_DROP="$SC_HOME/demo/drop"
    [[ -d "$SAFER_COMMUNITIES_DROP/marac" ]] || "$BIN/safer-communities" demo --drop "$SAFER_COMMUNITIES_DROP"
fi
DROP="$SAFER_COMMUNITIES_DROP/police"
mkdir -p "$DROP"
for sample in "$ROOT"/tests/fixtures/police_uk/*.csv; do
    [[ -e "$DROP/$(basename "$sample")" ]] || cp "$sample" "$DROP/"
done
echo "drop folder: $SAFER_COMMUNITIES_DROP ($(find "$SAFER_COMMUNITIES_DROP" -type f | wc -l | tr -d ' ') files)"

# Each service runs in its own process group (job control), so stopping it stops its children too.
# Plain indexed arrays and a polling loop: this also runs on macOS's bash 3.2.
set -m
SERVICES=()
PIDS=()
stopping=0
stop_all() {
    ((stopping)) && return 0
    stopping=1
    trap - INT TERM
    ((${#PIDS[@]})) || return 0
    echo
    echo "airflow-ui: stopping ${SERVICES[*]}"
    local pid alive
    for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 1 60); do
        alive=0
        for pid in "${PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.5
    done
    for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "airflow-ui: stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

start() {
    local service=$1
    shift
    "$BIN/airflow" "$@" >"$LOGS/$service.log" 2>&1 &
    SERVICES+=("$service")
    PIDS+=("$!")
    echo "started $service (pid $!), log: $LOGS/$service.log"
}
start api-server api-server --host "$HOST" --port "$PORT"
start scheduler scheduler
start dag-processor dag-processor
start triggerer triggerer
API_PID=${PIDS[0]}

echo "waiting for $URL/api/v2/monitor/health ..."
for _ in $(seq 1 180); do
    curl -fsS "$URL/api/v2/monitor/health" >/dev/null 2>&1 && break
    kill -0 "$API_PID" 2>/dev/null || { tail -n 30 "$LOGS/api-server.log" >&2; exit 1; }
    sleep 1
done
curl -fsS "$URL/api/v2/monitor/health" >/dev/null || { echo "airflow-ui: the api-server did not become healthy" >&2; exit 1; }

cat <<MESSAGE

  Airflow UI:  $URL
  Login:       admin / admin   (local use only: SimpleAuthManager, password file $PASSWORDS)
  Warehouse:   $WAREHOUSE
  Logs:        $LOGS/{api-server,scheduler,dag-processor,triggerer}.log
  Try:         trigger ingest_police with {"period": "2019/20 Q4"}
  Ctrl-C stops all four services.

MESSAGE

# Run until Ctrl-C, or until a service exits (then stop the others).
while :; do
    for i in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
            echo "airflow-ui: ${SERVICES[$i]} exited; see $LOGS/${SERVICES[$i]}.log" >&2
            exit 1
        fi
    done
    sleep 1
done
