from typing import Any

from deltadesk.risk.betas import BetaWeighter, ConfigBetas
from deltadesk.risk.domain.beta import DEFAULT_BETA, ECONOMIC_BETA, config_betas
from deltadesk.shared.portfolio import BetaSource

TT, YF, HIST = BetaSource.TASTYTRADE, BetaSource.YFINANCE_INFO, BetaSource.YFINANCE_HISTORY
CONFIG = ConfigBetas(config_betas({"KO": 0.58, "SPY": 1.0}, method="manual, config/beta_config.json"))


def weighter(chain: list[Any], clock: Any, **kw: Any) -> BetaWeighter:
    return BetaWeighter(chain, CONFIG, clock, ttl_s=3600, failure_ttl_s=60, timeout_s=1, **kw)


# ── the chain, awaited (T012: each source and each fallback) ─────────────────────────────────────
async def test_tastytrade_answers_first(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21})
    yahoo = beta_source(YF, {"AAPL": 1.3})
    betas = await weighter([tasty, yahoo, CONFIG], clock).resolve(["AAPL"])
    assert (betas["AAPL"].value, betas["AAPL"].source) == (1.21, TT)
    assert yahoo.calls == []


async def test_yfinance_answers_when_tastytrade_is_down(clock: Any, beta_source: Any) -> None:
    betas = await weighter(
        [beta_source(TT, fail=True), beta_source(YF, {"AAPL": 1.3}), CONFIG], clock
    ).resolve(["AAPL"])
    assert (betas["AAPL"].value, betas["AAPL"].source) == (1.3, YF)


async def test_a_source_that_does_not_answer_in_time_is_skipped(clock: Any, beta_source: Any) -> None:
    silent = beta_source(TT, {"AAPL": 9.0}, held=True)
    betas = await weighter([silent, beta_source(YF, {"AAPL": 1.3})], clock).resolve(["AAPL"])
    assert betas["AAPL"].source is YF


async def test_only_keys_a_source_left_unanswered_go_down_the_chain(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21})
    yahoo = beta_source(YF, {"NVDA": 1.9})
    betas = await weighter([tasty, yahoo], clock).resolve(["AAPL", "NVDA"])
    assert yahoo.calls == [["NVDA"]]
    assert (betas["AAPL"].source, betas["NVDA"].source) == (TT, YF)


async def test_the_history_regression_can_rank_first(clock: Any, beta_source: Any) -> None:
    betas = await weighter(
        [beta_source(HIST, {"AAPL": 1.11}), beta_source(TT, {"AAPL": 1.21})], clock
    ).resolve(["AAPL"])
    assert betas["AAPL"].source is HIST


async def test_config_answers_when_every_network_source_fails(clock: Any, beta_source: Any) -> None:
    betas = await weighter([beta_source(TT, fail=True), beta_source(YF, fail=True), CONFIG], clock).resolve(
        ["KO"]
    )
    assert (betas["KO"].value, betas["KO"].source, betas["KO"].unavailable) == (
        0.58,
        BetaSource.CONFIG,
        False,
    )


async def test_config_is_the_last_resort_even_when_not_listed(clock: Any, beta_source: Any) -> None:
    betas = await weighter([beta_source(TT, fail=True)], clock).resolve(["KO"])
    assert betas["KO"].source is BetaSource.CONFIG


async def test_beta_unavailable_when_every_source_fails(clock: Any, beta_source: Any) -> None:
    betas = await weighter([beta_source(TT, fail=True), beta_source(YF), CONFIG], clock).resolve(["ZZZ"])
    assert betas["ZZZ"] == DEFAULT_BETA
    assert betas["ZZZ"].unavailable
    assert betas["ZZZ"].value == 1.0


async def test_economic_betas_never_ask_a_source(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"SPX": 0.9, "/MES": 0.986})
    w = weighter([tasty], clock)
    assert await w.resolve(["SPX", "/MES"]) == {"SPX": ECONOMIC_BETA, "/MES": ECONOMIC_BETA}
    assert w.get_many(["SPXW", "/ES"]) == {"SPXW": ECONOMIC_BETA, "/ES": ECONOMIC_BETA}
    assert tasty.calls == []


async def test_an_offline_chain_uses_config_then_the_default(clock: Any) -> None:
    w = weighter([CONFIG], clock)
    assert w.get_many(["KO", "ZZZ"]) == {"KO": CONFIG.lookup("KO"), "ZZZ": DEFAULT_BETA}
    assert await w.resolve(["KO"]) == {"KO": CONFIG.lookup("KO")}


# ── off the hot path ─────────────────────────────────────────────────────────────────────────────
async def test_get_never_waits_for_a_slow_source(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"KO": 0.61, "AAPL": 1.21}, held=True)
    updated: list[frozenset[str]] = []
    w = weighter([tasty, CONFIG], clock, on_update=updated.append)
    first = w.get_many(["KO", "AAPL"])  # not awaited: returns while the source is held
    assert first["KO"].source is BetaSource.CONFIG  # best offline answer
    assert first["AAPL"] == DEFAULT_BETA
    tasty.release()
    await w.wait_idle()
    assert updated == [frozenset({"KO", "AAPL"})]
    assert w.get("KO").value == 0.61
    assert w.get("AAPL").source is TT
    assert tasty.calls == [["KO", "AAPL"]]  # one batch, and nothing asked again from the cache


async def test_a_key_being_fetched_is_not_fetched_twice(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21}, held=True)
    w = weighter([tasty], clock)
    for _ in range(5):
        w.get("AAPL")
    tasty.release()
    await w.wait_idle()
    assert tasty.calls == [["AAPL"]]


async def test_an_expired_beta_is_served_while_it_is_refetched(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21})
    w = weighter([tasty], clock)
    w.get("AAPL")
    await w.wait_idle()
    tasty.answers["AAPL"] = 1.4
    clock.advance(3601)
    assert w.get("AAPL").value == 1.21  # stale but known beats 1.0
    await w.wait_idle()
    assert w.get("AAPL").value == 1.4
    assert len(tasty.calls) == 2


async def test_a_fallback_is_kept_for_less_time_than_an_answer(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21}, fail=True)
    w = weighter([tasty], clock)
    w.get("AAPL")
    await w.wait_idle()
    assert w.get("AAPL") == DEFAULT_BETA
    clock.advance(30)
    w.get("AAPL")
    assert len(tasty.calls) == 1  # still within the failure TTL
    tasty.fail = False
    clock.advance(31)
    w.get("AAPL")
    await w.wait_idle()
    assert w.get("AAPL").value == 1.21
    assert len(tasty.calls) == 2


async def test_config_listed_first_is_final_and_skips_the_network(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"KO": 0.61, "AAPL": 1.21})
    w = weighter([CONFIG, tasty], clock)
    assert w.get("KO").source is BetaSource.CONFIG  # a manual override
    w.get("AAPL")
    await w.wait_idle()
    assert tasty.calls == [["AAPL"]]


async def test_closing_cancels_a_fetch_in_flight(clock: Any, beta_source: Any) -> None:
    tasty = beta_source(TT, {"AAPL": 1.21}, held=True)
    updated: list[frozenset[str]] = []
    w = weighter([tasty], clock, on_update=updated.append)
    w.get("AAPL")
    await w.aclose()
    tasty.release()
    await w.wait_idle()
    assert updated == []  # the fetch never landed
