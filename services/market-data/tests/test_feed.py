from datetime import date
from decimal import Decimal

from deltadesk.market_data.domain.feed import FeedStatus, backoff_s, next_status, quote_symbols
from deltadesk.shared.events import BrokerState
from deltadesk.shared.positions import Position


def _position(symbol: str, underlying: str, contract: str | None = None, **kw: object) -> Position:
    return Position.model_validate(
        {
            "account": "A",
            "symbol": symbol,
            "underlying": underlying,
            "instrument": kw.pop("instrument", "STK"),
            "quantity": Decimal(1),
            "multiplier": kw.pop("multiplier", Decimal(1)),
            "underlying_contract": contract,
            **kw,
        }
    )


def test_quotes_spx_and_vix_even_with_no_positions() -> None:
    assert quote_symbols([]) == ("SPX", "VIX")


def test_quotes_each_underlying_once_by_the_contract_that_prices_it() -> None:
    positions = [
        _position("AAPL", "AAPL"),
        _position(
            "AAPL  261218C00250000",
            "AAPL",
            instrument="OPT",
            multiplier=Decimal(100),
            right="C",
            strike=Decimal(250),
            expiry=date(2026, 12, 18),
        ),
        _position("/ESZ6", "/ES", "/ESZ6", instrument="FUT", multiplier=Decimal(50)),
        _position(
            "SPX-opt",
            "SPX",
            instrument="OPT",
            multiplier=Decimal(100),
            right="P",
            strike=Decimal(5600),
            expiry=date(2026, 12, 18),
        ),
    ]
    assert quote_symbols(positions) == ("SPX", "VIX", "AAPL", "/ESZ6")


def test_first_success_publishes_up_then_stays_quiet() -> None:
    status, changed = next_status(FeedStatus(), ok=True)
    assert (status.state, changed) == (BrokerState.UP, True)
    assert next_status(status, ok=True) == (status, False)


def test_failure_publishes_down_with_reason_and_again_when_the_reason_changes() -> None:
    up = FeedStatus(BrokerState.UP)
    down, changed = next_status(up, ok=False, reason="timeout")
    assert (down.state, down.reason, changed) == (BrokerState.DOWN, "timeout", True)
    assert next_status(down, ok=False, reason="timeout")[1] is False
    assert next_status(down, ok=False, reason="503")[1] is True
    assert next_status(down, ok=True) == (FeedStatus(BrokerState.UP), True)


def test_backoff_grows_and_is_capped() -> None:
    assert backoff_s(0, 30) == 0.0
    assert [backoff_s(n, 30) for n in range(1, 7)] == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0]
    assert backoff_s(6, 4.0) == 4.0
