"""A real S3-API server on loopback for the object-storage tests: moto's server mode, with the pipeline's bucket,
and the settings that point the pipeline at it (as the compose file points it at MinIO)."""

from __future__ import annotations

import json
import urllib.request

BUCKET = "safer-communities"
LOGIN, SECRET, REGION = "sc-test", "sc-test-secret", "eu-west-2"
# How a stored file's location begins: the connection's id, never its secret.
STORED = f"s3://safer_communities_storage@{BUCKET}/pipeline"


def s3_server(port: int):
    """Start moto's S3 server on ``port`` with an empty bucket; the caller stops it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto keeps its buckets in the process, across servers: start from none
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))
    _client(port).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return server


def storage_env(port: int) -> dict[str, str]:
    """The environment that puts the pipeline's hand-off files in the bucket."""
    return {
        "SAFER_COMMUNITIES_STORAGE": f"s3://{BUCKET}/pipeline",
        "AIRFLOW_CONN_SAFER_COMMUNITIES_STORAGE": json.dumps({
            "conn_type": "aws", "login": LOGIN, "password": SECRET,
            "extra": {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": REGION}}),
    }


def _client(port: int):
    import boto3

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=LOGIN,
                        aws_secret_access_key=SECRET, region_name=REGION)


def s3_keys(port: int) -> list[str]:
    pages = _client(port).get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]
