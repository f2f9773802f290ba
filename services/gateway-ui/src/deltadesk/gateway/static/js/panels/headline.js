// The headline: the portfolio's SPX-equivalent delta, large, and the figures around it.

import { byTestId, el } from "../dom.js";
import { age, clockTime, fixed, MISSING, money, signClass, signed } from "../format.js";

export function mount(store) {
  const root = byTestId("headline");
  const set = (id, text) => {
    byTestId(id, root).textContent = text;
  };

  function render() {
    const risk = store.risk;
    const greeks = store.greeks;
    const stale = store.isStale();
    root.classList.toggle("halted", store.halted);
    root.classList.toggle("stale", stale);
    root.classList.toggle("empty", risk === null);

    set("headline-account", store.account);
    const value = byTestId("spx-delta", root);
    value.textContent = greeks ? signed(greeks.spx_delta) : MISSING;
    value.className = `value ${greeks ? signClass(greeks.spx_delta) : ""}`.trim();
    if (greeks) value.dataset.value = String(greeks.spx_delta);
    else delete value.dataset.value;

    let note = "SPX-equivalent, beta-weighted";
    if (risk === null) note = `Waiting for risk to publish ${store.account}…`;
    else if (store.halted) note = `Halted: ${risk.halt_reason || "no reason given"}`;
    else if (stale) note = `STALE: last update ${age(store.ageSeconds())} ago`;
    set("headline-note", note);

    set("gamma", greeks ? signed(greeks.gamma, 2) : MISSING);
    set("theta", greeks ? signed(greeks.theta, 0) : MISSING);
    set("vega", greeks ? signed(greeks.vega, 0) : MISSING);
    set("vix", risk ? fixed(risk.vix, 2) : MISSING);
    set("regime", risk?.regime || MISSING);
    set("spx-price", risk ? fixed(risk.spx_price, 2) : MISSING);
    set("net-liquidation", risk ? money(risk.net_liquidation) : MISSING);
    const updated = byTestId("updated-at", root);
    updated.replaceChildren(
      risk ? el("time", { datetime: risk.occurred_at }, clockTime(risk.occurred_at)) : MISSING,
    );
    document.title = `${greeks ? signed(greeks.spx_delta) : MISSING} Δ · ${store.account} · deltadesk`;
  }

  store.subscribe((s, change) => {
    if (change.kind === "status" || change.kind === "link") return;
    if (change.kind === "risk" && change.account !== s.account) return;
    render();
  });
  render();
}
