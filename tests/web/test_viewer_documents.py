"""Conversations and audio in the viewer: entity spans highlighted inside the message they belong
to (a span within another nested in its mark), each message's own classifications beside it;
audio time ranges on a timeline, one lane per classification, at their proportional places."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Site, open_row
from tests.web.viewer_media import MESSAGES, Media

TEXT = dict(MESSAGES)


def _marks(page: Any, message: str) -> list[tuple[str, str, str]]:
    """(class, highlighted text, enclosing mark's class or '') of each entity in a message."""
    return [
        tuple(m)
        for m in page.eval_on_selector_all(
            f".message[data-message='{message}'] mark.ann",
            """ms => ms.map(m => [m.dataset.name, m.textContent,
                m.parentElement.closest('mark') ? m.parentElement.closest('mark').dataset.name : ''])""",
        )
    ]


def test_entities_are_highlighted_in_their_own_message(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.conversation)
    assert page.eval_on_selector_all(".message", "ms => ms.map(m => m.dataset.message)") == ["msg-1", "msg-2"]
    one = TEXT["msg-1"]
    assert _marks(page, "msg-1") == [
        ("person", one[0:3], ""),
        ("phrase", one[4:25], ""),
        ("place", one[19:25], "phrase"),  # inside the phrase: both drawn, neither dropped
    ]
    assert _marks(page, "msg-2") == [("place", TEXT["msg-2"][9:15], "")]
    # the text of each message is shown whole, highlighted or not
    shown = page.eval_on_selector_all(".message .text", "ts => ts.map(t => t.textContent)")
    assert shown == [TEXT["msg-1"], TEXT["msg-2"]]
    colour = page.eval_on_selector(".message mark[data-name=place]", "m => getComputedStyle(m).boxShadow")
    assert "rgb(67, 99, 216)" in colour  # the ontology's #4363d8


def test_message_classifications_are_beside_their_message(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.conversation)
    per_message = page.eval_on_selector_all(
        ".message",
        "ms => ms.map(m => [...m.querySelectorAll('.message-answers li')].map(l => l.textContent))",
    )
    assert per_message == [["intent: greeting"], ["intent: question"]]
    # the conversation's global answer is in the side panel, not under a message
    assert page.eval_on_selector_all("#answers li", "ls => ls.map(l => l.textContent)") == [
        "sentiment: positive"
    ]


def test_legend_switches_a_class_highlight_off_and_on(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.conversation)
    page.uncheck("#toggle-place")
    bg = page.eval_on_selector_all(
        "mark.ann", "ms => ms.map(m => [m.dataset.name, getComputedStyle(m).backgroundColor])"
    )
    off = {name for name, colour in bg if colour == "rgba(0, 0, 0, 0)"}
    assert off == {"place"}
    assert page.text_content(".message[data-message='msg-2'] .text") == TEXT["msg-2"]  # the words stay
    page.check("#toggle-place")
    assert page.eval_on_selector_all("mark.ann.off", "ms => ms.length") == 0


def _ranges(page: Any) -> list[tuple[str, str, int, int, float, float]]:
    """(lane, value, start ms, end ms, left %, width %) of each time range, from the page's layout."""
    return [
        (lane, value, s, e, round(left, 2), round(width, 2))
        for lane, value, s, e, left, width in page.eval_on_selector_all(
            "#timeline .range",
            """rs => rs.map(r => {
                const t = r.parentElement.getBoundingClientRect(), b = r.getBoundingClientRect();
                return [r.closest('.lane').dataset.lane, r.dataset.value, +r.dataset.start, +r.dataset.end,
                        100 * (b.left - t.left) / t.width, 100 * b.width / t.width]; })""",
        )
    ]


def test_audio_ranges_sit_on_the_timeline_in_proportion(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.audio)
    assert page.get_attribute("#timeline", "data-duration") == "2000"
    lanes = page.eval_on_selector_all("#timeline .lane", "ls => ls.map(l => l.dataset.lane)")
    assert lanes == ["speaker", "transcript"]  # the global `lang` has no time range
    assert _ranges(page) == [
        ("speaker", "alice", 0, 500, 0.0, 25.0),
        ("speaker", "bob", 1000, 1500, 50.0, 25.0),
        ("speaker", "bob", 1600, 2000, 80.0, 20.0),
        ("transcript", "hello", 200, 800, 10.0, 30.0),
    ]
    assert page.eval_on_selector("#audio", "a => a.src").endswith("global_key=viewer%2Ftalk.wav")
    assert "lang: en" in (page.text_content("#answers") or "")
    page.uncheck("#toggle-speaker")
    assert [r[0] for r in _ranges(page) if r[5] > 0] == ["transcript"]
    assert not page.is_visible("#timeline .range[data-name=speaker]")
