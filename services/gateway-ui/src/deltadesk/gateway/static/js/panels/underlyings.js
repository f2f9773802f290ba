// The portfolio by underlying, as risk aggregated it.

import { byTestId, el } from "../dom.js";
import { fixed, signClass, signed } from "../format.js";

function row(u) {
  return el(
    "tr",
    { dataset: { testid: "underlying-row", underlying: u.underlying } },
    el("td", { className: "text" }, u.underlying),
    el("td", {}, fixed(u.beta, 2)),
    el("td", {}, String(u.positions)),
    el("td", { className: `strong ${signClass(u.spx_delta)}`.trim() }, signed(u.spx_delta)),
    el("td", {}, signed(u.gamma, 2)),
    el("td", {}, signed(u.theta, 0)),
    el("td", {}, signed(u.vega, 0)),
  );
}

function message(text) {
  return el("tr", { className: "empty" }, el("td", { colspan: 7 }, text));
}

export function mount(store) {
  const body = byTestId("underlyings-body");

  function render() {
    const greeks = store.greeks;
    if (!greeks) {
      body.replaceChildren(message(store.halted ? "Halted: no Greeks." : "No Greeks yet."));
      return;
    }
    const rows = greeks.by_underlying.map(row);
    body.replaceChildren(...(rows.length ? rows : [message("No underlyings.")]));
  }

  store.subscribe((s, change) => {
    if (change.kind === "select" || (change.kind === "risk" && change.account === s.account)) render();
  });
  render();
}
