# The project's Airflow image: the official Airflow 3.3.2 image plus the dependencies pinned in
# uv.lock, and the project code (docker-compose.yaml mounts the live code over it).

# uv.lock -> requirements.txt, with the uv version the Makefile pins.
FROM python:3.11-slim AS requirements
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-hashes --no-emit-project -o requirements.txt

FROM apache/airflow:3.3.2-python3.11
COPY --from=requirements /src/requirements.txt /tmp/requirements.txt
# The lock must pin the base image's Airflow; pip then puts every locked package at its locked version
# (packages that only the base image has stay as they are).
RUN grep -qx "apache-airflow==${AIRFLOW_VERSION}" /tmp/requirements.txt \
    || { echo "uv.lock does not pin apache-airflow==${AIRFLOW_VERSION}, the base image's version" >&2; exit 1; } \
    && pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/requirements.txt

# Debian's Chromium prints the board report's PDF (safer_communities.publish.report, the dashboard DAG's
# report task); the base image is Debian bookworm.
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
USER airflow

# safer_communities is imported from include/; it finds sql/ as include/../sql.
ENV PYTHONPATH=/opt/airflow/include \
    SAFER_COMMUNITIES_HOME=/opt/airflow/var \
    GX_ANALYTICS_ENABLED=False
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root include/ /opt/airflow/include/
COPY --chown=airflow:root sql/ /opt/airflow/sql/
# The working area; a new named volume mounted here starts with this owner and mode (group 0
# writable, as the image expects for any AIRFLOW_UID).
RUN mkdir -p /opt/airflow/var/drop/police && chmod -R g+rwX /opt/airflow/var
