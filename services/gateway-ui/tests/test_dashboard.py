from datetime import timedelta
from typing import Any

from deltadesk.gateway.domain.dashboard import BannerKind, build_dashboard
from deltadesk.shared.events import BrokerState


def _dashboard(book: Any, risks: dict[str, Any], statuses: dict[str, Any] | None = None, **kw: Any) -> Any:
    return build_dashboard(
        kw.pop("account", "total"),
        ("total", "PAPER"),
        risks,
        statuses or {},
        now=kw.pop("now", book.now),
        stale_after_s=kw.pop("stale_after_s", 30.0),
    )


def test_a_fresh_update_shows_its_greeks_and_no_banner(book: Any) -> None:
    risk = book.risk()
    view = _dashboard(book, {"total": risk})
    assert view.greeks == risk.greeks
    assert view.banners == ()
    assert (view.halted, view.stale, view.age_s) == (False, False, 0.0)


def test_a_halted_update_shows_no_greeks_and_the_spx_banner_with_the_reason(book: Any) -> None:
    view = _dashboard(book, {"total": book.risk(halted="SPX quote is 95 s old")})
    assert view.halted
    assert view.greeks is None
    [banner] = view.banners
    assert banner.kind is BannerKind.HALTED
    assert banner.title == "SPX price unavailable"
    assert "SPX quote is 95 s old" in banner.detail


def test_an_old_update_is_marked_stale_rather_than_shown_as_current(book: Any) -> None:
    view = _dashboard(book, {"total": book.risk()}, now=book.now + timedelta(seconds=45))
    assert view.stale
    assert [b.kind for b in view.banners] == [BannerKind.STALE]
    assert "45 s" in view.banners[0].detail


def test_a_halted_update_is_not_also_called_stale(book: Any) -> None:
    view = _dashboard(book, {"total": book.risk(halted="no SPX")}, now=book.now + timedelta(minutes=5))
    assert [b.kind for b in view.banners] == [BannerKind.HALTED]


def test_each_active_breach_gets_a_banner_with_limit_threshold_and_actual(book: Any) -> None:
    risk = book.risk(breaches=(book.breach(66.9),))
    [banner] = _dashboard(book, {"total": risk}).banners
    assert banner.kind is BannerKind.BREACH
    assert banner.limit == "max_portfolio_delta"
    assert "threshold 50.00" in banner.detail
    assert "actual 66.90" in banner.detail


def test_every_down_broker_gets_a_banner_whatever_account_is_shown(book: Any) -> None:
    statuses = {
        "U222": book.status("U222", reason="gateway not authenticated"),
        "PAPER": book.status("PAPER", state=BrokerState.UP),
        "5WX": book.status("5WX", reason="HTTP 503"),
    }
    view = _dashboard(book, {"total": book.risk()}, statuses, account="total")
    assert [(b.kind, b.account) for b in view.banners] == [
        (BannerKind.BROKER_DOWN, "5WX"),
        (BannerKind.BROKER_DOWN, "U222"),
    ]
    assert "gateway not authenticated" in view.banners[1].detail


def test_an_account_without_risk_shows_nothing_as_current(book: Any) -> None:
    view = _dashboard(book, {"total": book.risk()}, account="PAPER")
    assert view.risk is None
    assert view.greeks is None
    assert not view.stale
