"""A server whose storage is S3 (moto in server mode on loopback): uploads stream into the bucket,
folder payloads land under one prefix, and whoever runs the job reads them back from there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelport import Client, InvalidInputError
from labelport.model.jobs import JobState
from tests.api.server import running_server
from tests.helpers import ONTOLOGY, make_images
from tests.jobs.conftest import H, W, uid, write_ndjson
from tests.s3server import bucket, s3_client, s3_endpoint, s3_env

__all__ = ["bucket", "s3_endpoint", "s3_env"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # storage shared by many machines
def test_uploads_go_to_the_bucket_and_jobs_read_them_back(
    db_url: str, tmp_path: Path, bucket: str, s3_env: str
) -> None:
    env = {
        "LABELPORT_STORAGE": f"s3://{bucket}/payloads",
        "LABELPORT_S3_ENDPOINT": s3_env,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with running_server(db_url, tmp_path, env) as server, Client(server.url, server.tokens["admin"]) as c:
        make_images(server.root / "s3", {f"img-{i}.png": (W, H) for i in (1, 2)})
        rows = server.root / "s3" / "rows.json"
        rows.write_text(
            json.dumps(
                [{"uri": str(server.root / "s3" / f"img-{i}.png"), "global_key": f"k{i}"} for i in (1, 2)]
            )
        )
        c.create_dataset("d")
        c.add_manifest("d", rows)
        c.create_ontology("o", ONTOLOGY)
        c.create_project("p", ontology="o", media_type="image")
        c.create_batch("p", "b", dataset="d")
        lines = [
            {
                "uuid": uid(n),
                "dataRow": {"globalKey": f"k{n}"},
                "name": "car",
                "bbox": {"top": 10, "left": 20, "height": 30, "width": 40},
            }
            for n in (1, 2)
        ]
        job = c.import_labels("p", write_ndjson(tmp_path / "a.ndjson", lines), format="ndjson").wait(
            progress=False, timeout=120
        )
        assert job.state is JobState.SUCCEEDED, (job.error, job.issues[:3])
        assert job.payload.startswith(f"s3://{bucket}/payloads/") and job.payload.endswith("/a.ndjson")

        out = tmp_path / "voc"
        c.export("p", out, format="voc")
        back = c.import_labels("p", out, format="voc", on_existing="replace").wait(
            progress=False, timeout=120
        )
        assert back.state is JobState.SUCCEEDED, (back.error, back.issues[:3])
        assert back.payload.startswith(f"s3://{bucket}/payloads/") and back.payload.endswith("/")

        with s3_client(s3_env) as s3:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        assert any(k.endswith("/a.ndjson") for k in keys)
        assert sum(k.endswith(".xml") for k in keys) == 2

        inside = c.import_labels("p", job.payload, format="ndjson", dry_run=True).wait(
            progress=False, timeout=120
        )
        assert inside.dry_run and inside.issues_by_code == {"existing_labels": 2}  # it read the payload
        with pytest.raises(InvalidInputError) as err:
            c.import_labels("p", f"s3://{bucket}/elsewhere/a.ndjson", format="ndjson")
        assert err.value.code == "url_not_allowed"
