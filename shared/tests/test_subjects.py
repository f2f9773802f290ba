from pathlib import Path

import pytest

from deltadesk.shared.catalog_files import render_catalog, render_nats_conf
from deltadesk.shared.errors import InvalidSubjectToken
from deltadesk.shared.subjects import (
    ACTORS,
    CATALOG,
    MD_POSITIONS,
    STREAMS,
    VENUE_QUOTES_GET,
    Delivery,
)

REQUEST_VERBS = {
    "get",
    "list",
    "set",
    "simulate",
    "compute",
    "place",
    "cancel",
    "quote",
    "resolve",
    "find",
    "create",
    "export",
    "seed",
}
ROOT = Path(__file__).resolve().parents[2]


def test_render_fills_every_token() -> None:
    assert MD_POSITIONS.render(account="U1234567") == "dd.md.positions.U1234567"


@pytest.mark.parametrize("bad", ["", "a.b", "a*", ">", "a b", "tab\t"])
def test_a_token_that_would_change_the_subject_is_refused(bad: str) -> None:
    with pytest.raises(InvalidSubjectToken):
        MD_POSITIONS.render(account=bad)


def test_render_needs_exactly_the_pattern_tokens() -> None:
    with pytest.raises(InvalidSubjectToken):
        MD_POSITIONS.render()
    with pytest.raises(InvalidSubjectToken):
        MD_POSITIONS.render(account="A", extra="B")


def test_wildcard_and_parse() -> None:
    assert MD_POSITIONS.wildcard() == "dd.md.positions.*"
    assert MD_POSITIONS.wildcard(account="A") == "dd.md.positions.A"
    assert MD_POSITIONS.parse("dd.md.positions.PAPER") == {"account": "PAPER"}
    with pytest.raises(InvalidSubjectToken):
        MD_POSITIONS.parse("dd.md.quotes.PAPER")
    assert VENUE_QUOTES_GET.render() == "dd.venue.quotes.get"


def test_catalog_is_consistent() -> None:
    patterns = [s.pattern for s in CATALOG]
    assert len(patterns) == len(set(patterns)), "a subject is listed twice"
    for subject in CATALOG:
        assert subject.pattern.startswith("dd.")
        assert subject.publishers <= ACTORS, subject.pattern
        if subject.delivery is Delivery.REQUEST:
            assert subject.reply is not None
            assert subject.pattern.rsplit(".", 1)[1] in REQUEST_VERBS, "request subjects end in a verb"
        if subject.delivery is Delivery.STREAM:
            assert subject.stream in STREAMS
            prefixes = [s.rstrip(">").rstrip(".") for s in subject.stream.subjects]
            assert any(subject.pattern.startswith(p) for p in prefixes), subject.pattern


def test_streams_do_not_overlap() -> None:
    subjects = [s for stream in STREAMS for s in stream.subjects]
    assert len(subjects) == len(set(subjects))


def test_checked_in_subject_docs_are_current() -> None:
    checked_in = (ROOT / "docs" / "subjects.md").read_text()
    assert checked_in == render_catalog(), "docs/subjects.md is stale: run `deltadesk subjects`"


def test_checked_in_nats_permissions_are_current() -> None:
    checked_in = (ROOT / "deploy" / "nats-server.conf").read_text()
    assert checked_in == render_nats_conf(), "deploy/nats-server.conf is stale: run `deltadesk subjects`"


def test_nats_permissions_follow_the_catalog() -> None:
    conf = render_nats_conf()
    gateway_line = next(line for line in conf.splitlines() if 'user: "gateway"' in line)
    gateway_allow = conf.splitlines()[conf.splitlines().index(gateway_line) + 1]
    assert "dd.risk.greeks" not in gateway_allow
    assert "dd.dlq.gateway" in gateway_allow
    assert "dd.dlq.risk" not in gateway_allow
