from __future__ import annotations

import pathlib

import pytest

from labelport.media import ProbeError, probe
from labelport.media.probes import text as text_probe
from labelport.model.media import MediaType

from .assets import make_conversation, make_text

SAMPLE = "Zoë läuft — 東京 🚀\r\n"  # 18 code points (emoji is one, CRLF is two)


def test_utf8_with_bom_counts_characters(tmp_path: pathlib.Path) -> None:
    path = make_text(tmp_path / "a.txt", SAMPLE, bom=True)
    assert probe(path, MediaType.TEXT) == {"length": 18, "encoding": "utf-8", "bom": True}


def test_utf8_without_bom(tmp_path: pathlib.Path) -> None:
    path = make_text(tmp_path / "a.md", SAMPLE)
    assert probe(path, MediaType.TEXT) == {"length": 18, "encoding": "utf-8", "bom": False}


def test_empty_text(tmp_path: pathlib.Path) -> None:
    assert probe(make_text(tmp_path / "e.txt", ""), MediaType.TEXT)["length"] == 0


def test_latin1_is_refused(tmp_path: pathlib.Path) -> None:
    path = make_text(tmp_path / "latin.txt", "café au lait", encoding="latin-1")
    with pytest.raises(ProbeError, match=r"^not UTF-8 text: .* at byte 3$"):
        probe(path, MediaType.TEXT)


def test_characters_split_across_read_chunks(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny chunks force multi-byte characters to straddle reads, as they do in big files.
    monkeypatch.setattr(text_probe, "_CHUNK", 3)
    assert probe(make_text(tmp_path / "a.txt", SAMPLE * 5), MediaType.TEXT)["length"] == 90
    bad = make_text(tmp_path / "b.txt", "ab€", bom=True)
    bad.write_bytes(bad.read_bytes()[:-1])  # cut the euro sign's last byte
    with pytest.raises(ProbeError, match=r"at byte 5$"):
        probe(bad, MediaType.TEXT)


def test_html(tmp_path: pathlib.Path) -> None:
    path = make_text(tmp_path / "page.html", "<p>Grüße</p>")
    assert probe(path, MediaType.HTML) == {"length": 12}
    latin = make_text(tmp_path / "old.htm", "<p>Grüße</p>", encoding="latin-1")
    with pytest.raises(ProbeError, match=r"^not UTF-8 text"):
        probe(latin, MediaType.HTML)


def test_conversation(tmp_path: pathlib.Path) -> None:
    path = make_conversation(tmp_path / "chat.json", [("m-1", "Hello!"), ("m-2", "Grüß dich 👋")])
    assert probe(path, MediaType.CONVERSATION) == {
        "messages": [{"id": "m-1", "length": 6}, {"id": "m-2", "length": 11}],
        "message_count": 2,
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"messages": [', "^not valid JSON: "),
        ('{"messages": {}}', "^not a conversation"),
        ('{"messages": [{"content": "hi"}]}', "^message 0 has no messageId$"),
        ('{"messages": [{"messageId": "", "content": "hi"}]}', "^message 0 has no messageId$"),
        ('{"messages": [{"messageId": "a"}]}', "^message 'a' has no text content$"),
        (
            '{"messages": [{"messageId": "a", "content": ""}, {"messageId": "a", "content": ""}]}',
            "^duplicate messageId 'a'$",
        ),
    ],
)
def test_bad_conversations(tmp_path: pathlib.Path, body: str, reason: str) -> None:
    path = tmp_path / "chat.json"
    path.write_text(body)
    with pytest.raises(ProbeError, match=reason):
        probe(path, MediaType.CONVERSATION)
