"""The two spools keep every row, in order, with its JSON columns as stored text, and a failure
in the SQLite spool's writer process reaches the job instead of being lost with the process."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

import msgspec
import pytest
import sqlalchemy as sa

from labelport.model.errors import StorageError
from labelport.model.stored import Accepted, accepted
from labelport.store import db
from labelport.store.spool import WIRE_COLUMNS, PostgresSpool, Spool, SqliteSpool, for_engine


def _rows(n: int) -> list[Accepted]:
    return [
        accepted(i // 7, f"uid-{i}", 3, "bbox", [i, 1, 2.5, 3], [], None, None, None, None, None, None)
        for i in range(n)
    ]


def _not_text() -> Accepted:
    """A row whose uid is not text: what the writer refuses."""
    return Accepted(0, 12345, 3, "bbox", b"[]", b"[]", b"null", b"")  # type: ignore[arg-type]


def _stored(n: int) -> list[tuple[object, ...]]:
    return [
        (i // 7, f"uid-{i}", 3, "bbox", f"[{i},1,2.5,3]", "[]", None, None, None, None, None, None)
        for i in range(n)
    ]


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    made = db.create_engine(db_url)
    yield made
    made.dispose()


def test_every_row_comes_back_in_order_and_can_be_read_twice(engine: sa.Engine) -> None:
    rows = _rows(25_003)  # more than two batches and a remainder
    spool = for_engine(engine)
    try:
        for r in rows:
            spool.add(r)
        assert spool.count == len(rows)
        assert [tuple(r) for r in spool] == _stored(len(rows))
        assert [tuple(r) for r in spool] == _stored(len(rows))
    finally:
        spool.close()


def test_the_sqlite_spool_is_a_file_another_connection_can_read_and_is_deleted_after() -> None:
    spool = SqliteSpool()
    for r in _rows(12_345):
        spool.add(r)
    spool.flush()
    other = sqlite3.connect(spool.path)
    assert other.execute("SELECT count(*), max(uid) FROM spool").fetchone() == (12_345, "uid-9999")
    assert [d[1] for d in other.execute("PRAGMA table_info(spool)")] == list(WIRE_COLUMNS)
    other.close()
    spool.close()
    assert not os.path.exists(spool.path)


def test_the_postgresql_spool_is_a_table_dropped_after(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    spool = PostgresSpool(engine)
    for r in _rows(12_345):
        spool.add(r)
    spool.flush()
    with engine.connect() as conn:
        got = conn.exec_driver_sql(f"SELECT count(*), max(uid) FROM {spool.table}").one()
    assert tuple(got) == (12_345, "uid-9999")
    spool.close()
    assert not sa.inspect(engine).has_table(spool.table)


def test_a_crashed_attempts_table_is_dropped_when_the_job_runs_again(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    crashed = PostgresSpool(engine, job_id=7)  # never closed: its process died
    other_job = PostgresSpool(engine, job_id=77)
    again = PostgresSpool(engine, job_id=7)
    try:
        assert not sa.inspect(engine).has_table(crashed.table)
        assert sa.inspect(engine).has_table(other_job.table) and sa.inspect(engine).has_table(again.table)
    finally:
        crashed._errors.close()  # what the dead process's exit would have closed
        other_job.close()
        again.close()


def test_a_failure_to_write_one_small_batch_is_a_storage_error_too(engine: sa.Engine) -> None:
    """Rows that fit in one batch are written by the job itself: the same error, the same way."""
    spool = for_engine(engine)
    try:
        spool.add(_not_text())
        with pytest.raises(
            StorageError, match=r"the spool's writer failed: .*Expected `str`, got `int`"
        ) as err:
            spool.flush()
        assert err.value.code == "storage_failed" and spool._writer is None
    finally:
        spool.close()


def test_a_writer_failure_is_raised_in_the_job_process(engine: sa.Engine) -> None:
    spool = for_engine(engine)
    try:
        for r in _rows(10_000):
            spool.add(r)
        spool.add(_not_text())
        with pytest.raises(StorageError, match=r"Expected `str`, got `int` - at `\$\[0\]\[1\]`"):
            for r in _rows(30_000):
                spool.add(r)
            spool.flush()
    finally:
        spool.close()


@pytest.mark.parametrize("after", [0, 12_000], ids=["written by the job", "written by the writer process"])
def test_json_columns_are_stored_as_their_exact_text(engine: sa.Engine, after: int) -> None:
    """The JSON columns come out as the JSON text the job encoded, untouched by the writer
    process (integers beyond 64 bits included; JSON null is NULL), and the same when the rows fit
    in one batch, which the job writes itself."""
    big = 2**80
    rows = [
        (
            1,
            "a",
            3,
            "polygon",
            [[0.1 + 0.2, 1e-7, 5e-324, -0.0, 1e300]],
            [{"name": 'é"x'}],
            2,
            4,
            None,
            "m",
            "t",
            {"id": 7, "area": 0.5},
        ),
        (1, "b", 3, "bbox", [1, 2, 3, 4], None, None, None, 1, None, None, {"id": big}),
        (2, "c", 3, "mask", {"size": [2, 2], "counts": "04"}, [], None, None, None, None, None, {}),
        (2, "d", 3, "point", [1, 2], [], 2**31 - 1, None, None, 'm"\u00e9', None, None),
        (2, "e", 3, "point", [1, 2], [], None, None, None, None, "", None),
    ]
    spool = for_engine(engine)
    try:
        for r in [*(accepted(*r) for r in rows), *_rows(after)]:
            spool.add(r)
        started = spool._writer is not None
        back = [tuple(r) for r in spool][:5]
    finally:
        spool.close()
    assert started == bool(after)
    assert back[0][4] == msgspec.json.encode(rows[0][4]).decode()
    assert back[0][4] == "[[0.30000000000000004,1e-7,5e-324,-0.0,1e300]]"
    assert back[0][5] == '[{"name":"é\\"x"}]'
    assert back[0][6:11] == (2, 4, None, "m", "t")
    assert back[0][11] == '{"id":7,"area":0.5}'
    assert back[1][5] is None and back[1][11] == f'{{"id":{big}}}'
    assert back[2][4:6] == ('{"size":[2,2],"counts":"04"}', "[]") and back[2][11] == "{}"
    # where an annotation sits is one JSON array in the spool: each part comes back typed
    assert back[3][6:12] == (2**31 - 1, None, None, 'm"\u00e9', None, None)
    assert back[4][6:11] == (None, None, None, None, "")  # an empty track id is not a missing one


@pytest.mark.parametrize("after", [0, 12_000], ids=["written by the job", "written by the writer process"])
def test_text_survives_a_url_that_asks_for_another_client_encoding(db_url: str, after: int) -> None:
    """The PostgreSQL writers send the JSON columns as their UTF-8 bytes, which the server reads
    in the connection's client encoding: a URL that asks for Latin-1 must not turn é into Ã©."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    made = db.create_engine(f"{db_url}&client_encoding=LATIN1")
    spool = for_engine(made)
    try:
        spool.add(
            accepted(
                1, "a", 3, "bbox", [1, 2, 3, 4], [{"name": "é"}], None, None, None, None, None, {"n": "ü"}
            )
        )
        for r in _rows(after):
            spool.add(r)
        back = next(iter(spool))
    finally:
        spool.close()
        made.dispose()
    assert (back[5], back[11]) == ('[{"name":"é"}]', '{"n":"ü"}')


def test_each_engine_gets_its_spool(engine: sa.Engine) -> None:
    spool: Spool = for_engine(engine)
    assert isinstance(spool, SqliteSpool if engine.dialect.name == "sqlite" else PostgresSpool)
    spool.close()


def test_the_writers_arguments_hold_no_database_url(engine: sa.Engine) -> None:
    """A URL's password in a process's arguments is shown to anyone listing processes."""
    spool = for_engine(engine)
    try:
        for r in _rows(12_000):
            spool.add(r)
        assert spool._writer is not None
        args = " ".join(map(str, spool._writer.args))  # type: ignore[arg-type]
        assert "postgresql://" not in args and "127.0.0.1" not in args
    finally:
        spool.close()


def test_the_writers_row_is_the_stored_form_field_for_field() -> None:
    """The writer runs as a script that imports nothing of ours, so it spells the stored form
    out again; the two must not drift apart."""
    from labelport.store import spool_writer

    assert Accepted.__struct_fields__ == spool_writer.WIRE_COLUMNS
    assert len(spool_writer.Wire.__args__) == len(Accepted.__struct_fields__)
