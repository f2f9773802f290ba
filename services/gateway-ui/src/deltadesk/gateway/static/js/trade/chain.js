// The strike chain of the order's underlying: an expiry dropdown, then bid, ask, delta and IV of
// calls and puts per strike. Clicking a call or a put fills the chosen leg's strike, right and
// expiry (and moves on to the next leg without a strike), so a condor is four clicks.

import { byTestId, el } from "../dom.js";
import { fixed, price } from "../format.js";
import { shown } from "../panels/tabs.js";
import { chainFor, expiriesFor } from "./market.js";
import { isOption } from "./ticket.js";

const REFRESH_MS = 5000;

function iv(value) {
  if (value === null || value === undefined) return "–";
  return `${fixed(value > 3 ? value : value * 100, 1)}%`;
}

function delta(quote) {
  return quote?.greeks ? fixed(quote.greeks.delta, 2) : "–";
}

export function mountChain(store, ticket) {
  const title = byTestId("chain-title");
  const expirySelect = byTestId("chain-expiry");
  const body = byTestId("chain-body");
  const wrap = byTestId("chain-wrap");
  const hint = byTestId("chain-target");

  let source = null; // { account, underlying, instrument }
  let chain = null;
  let scrolledFor = "";
  let loading = 0;
  let asked = 0;

  function wanted() {
    const symbol = ticket.underlying.trim().toUpperCase();
    if (!symbol || !ticket.account) return null;
    const target = ticket.targetLeg;
    const optionLeg = target && isOption(target) ? target : ticket.legs.find(isOption);
    const instrument = optionLeg ? optionLeg.instrument : symbol.startsWith("/") ? "FOP" : "OPT";
    return { account: ticket.account, underlying: symbol, instrument };
  }

  function message(text) {
    body.replaceChildren(el("tr", { className: "empty" }, el("td", { colspan: 9 }, text)));
  }

  async function loadExpiries() {
    const next = wanted();
    source = next;
    chain = null;
    if (!next) {
      title.textContent = "";
      expirySelect.replaceChildren();
      message("Enter an underlying to see its chain.");
      return;
    }
    title.textContent = `${next.underlying} · ${next.instrument}`;
    message("Loading expiries…");
    const answer = await expiriesFor(next.account, next.underlying, next.instrument);
    if (source !== next) return;
    if (answer.error) {
      expirySelect.replaceChildren();
      message(`No chain: ${answer.error}`);
      return;
    }
    expirySelect.replaceChildren(...answer.expiries.map((iso) => el("option", { value: iso }, iso)));
    const target = ticket.targetLeg;
    const preferred = target && isOption(target) && answer.expiries.includes(target.expiry) ? target.expiry : answer.expiries[0];
    if (!preferred) {
      message(`No expiries listed for ${next.underlying}.`);
      return;
    }
    expirySelect.value = preferred;
    await loadChain();
  }

  // Every load asks anew; only the answer to the latest one is shown. A refresh is skipped while a
  // load is in flight, so a slow broker never gets a pile of requests.
  async function loadChain({ refresh = false } = {}) {
    const from = source;
    const expiry = expirySelect.value;
    if (!from || !expiry || (refresh && loading > 0)) return;
    const ticketNo = ++asked;
    loading += 1;
    let answer;
    try {
      answer = await chainFor(from.account, from.underlying, expiry, from.instrument);
    } finally {
      loading -= 1;
    }
    if (ticketNo !== asked || source !== from || expirySelect.value !== expiry) return;
    if (answer.error) {
      message(`No chain: ${answer.error}`);
      return;
    }
    chain = answer.chain;
    render();
  }

  function atmStrike() {
    const spot = chain?.underlying_price;
    if (!spot || !chain.rows.length) return null;
    let best = chain.rows[0].strike;
    for (const row of chain.rows) if (Math.abs(row.strike - spot) < Math.abs(best - spot)) best = row.strike;
    return best;
  }

  function legAt(strike, right) {
    return ticket.legs.find(
      (leg) => isOption(leg) && leg.expiry === chain.expiry && Number(leg.strike) === Number(strike) && leg.right === right,
    );
  }

  function side(quote, strike, right) {
    const leg = legAt(strike, right);
    const mark = leg ? ` leg-${leg.action.toLowerCase()}` : "";
    const data = { right, strike };
    return [
      el("td", { className: `pick${mark}`, dataset: { ...data, testid: `chain-${right}-bid` } }, price(quote?.bid)),
      el("td", { className: `pick${mark}`, dataset: { ...data, testid: `chain-${right}-ask` } }, price(quote?.ask)),
      el("td", { className: `pick muted${mark}`, dataset: data }, delta(quote)),
      el("td", { className: `pick muted${mark}`, dataset: data }, iv(quote?.iv)),
    ];
  }

  function render() {
    if (!chain) return;
    const atm = atmStrike();
    const rows = chain.rows.map((row) =>
      el(
        "tr",
        {
          className: Number(row.strike) === Number(atm) ? "atm" : "",
          dataset: { testid: "chain-row", strike: row.strike },
        },
        ...side(row.call, row.strike, "C"),
        el("td", { className: "strike-col", dataset: { strike: row.strike } }, fixed(row.strike, Number(row.strike) % 1 ? 1 : 0)),
        ...side(row.put, row.strike, "P"),
      ),
    );
    body.replaceChildren(...(rows.length ? rows : [el("tr", { className: "empty" }, el("td", { colspan: 9 }, "No strikes."))]));
    const key = `${chain.underlying}|${chain.expiry}`;
    if (scrolledFor !== key && atm !== null) {
      scrolledFor = key;
      const row = body.querySelector("tr.atm");
      if (row) wrap.scrollTop = Math.max(0, row.offsetTop - wrap.clientHeight / 2);
    }
    renderHint();
  }

  function renderHint() {
    const index = ticket.legs.findIndex((leg) => leg.key === ticket.target);
    hint.textContent = index >= 0 ? `Click a call or a put to fill leg ${index + 1}.` : "Pick a leg, then click a call or a put.";
  }

  body.addEventListener("click", (event) => {
    const cell = event.target.closest("td[data-strike]");
    if (!cell || !chain) return;
    const leg = ticket.targetLeg;
    if (!leg) return;
    const right = cell.dataset.right || (isOption(leg) ? leg.right : "P");
    const row = chain.rows.find((r) => Number(r.strike) === Number(cell.dataset.strike));
    if (!row) return;
    const quote = right === "C" ? row.call : row.put;
    Object.assign(leg, {
      instrument: chain.instrument,
      expiry: chain.expiry,
      strike: String(Number(row.strike)),
      right,
      tradingClass: quote?.contract?.trading_class ?? null,
      quote: null,
      error: null,
    });
    const next = ticket.legs.find((l) => l !== leg && isOption(l) && !l.strike);
    if (next) ticket.target = next.key;
    ticket.changed("fill");
  });

  expirySelect.addEventListener("change", () => {
    chain = null;
    message("Loading chain…");
    loadChain();
  });

  function sameSource(a, b) {
    return a && b && a.account === b.account && a.underlying === b.underlying && a.instrument === b.instrument;
  }

  ticket.on((t, kind) => {
    if (kind === "quotes" || kind === "terms") return;
    if (!sameSource(wanted(), source)) {
      loadExpiries();
      return;
    }
    const target = ticket.targetLeg;
    if (kind === "target" && target && isOption(target) && target.expiry && target.expiry !== expirySelect.value) {
      if ([...expirySelect.options].some((o) => o.value === target.expiry)) {
        expirySelect.value = target.expiry;
        loadChain();
        return;
      }
    }
    render();
    renderHint();
  });
  store.subscribe((s, change) => {
    if (change.kind === "tab" && change.tab === "trade" && source && !chain) loadChain();
  });
  setInterval(() => {
    if (shown.tab === "trade" && chain) loadChain({ refresh: true });
  }, REFRESH_MS);
  loadExpiries();
}
