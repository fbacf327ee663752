-- Run by the postgres image on a new data volume only (docker-compose.yaml mounts this folder
-- at /docker-entrypoint-initdb.d): the warehouse gets its own database next to Airflow's.
-- airflow-init also creates it when missing, for a volume made before this file existed.
CREATE DATABASE warehouse;
