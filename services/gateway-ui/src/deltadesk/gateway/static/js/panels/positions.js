// The positions behind the number: one row per position, as risk weighted it.

import { byTestId, el } from "../dom.js";
import { fixed, MISSING, quantity, signClass, signed, toNumber } from "../format.js";

const COLUMNS = 11;

function row(position, showNumbers) {
  const beta = position.beta;
  const excluded = position.excluded_reason;
  const numbers = showNumbers && !excluded;
  const classes = [excluded ? "excluded" : "", beta.unavailable ? "beta-missing" : ""].filter(Boolean);
  return el(
    "tr",
    { className: classes.join(" "), dataset: { testid: "position-row", symbol: position.symbol } },
    el(
      "td",
      { className: "text" },
      el("span", { className: "desc" }, position.description),
      excluded &&
        el(
          "span",
          { className: "badge badge-excluded", title: excluded, dataset: { testid: "excluded-badge" } },
          `Excluded: ${excluded}`,
        ),
    ),
    el("td", { className: "text type" }, position.instrument),
    el("td", { className: toNumber(position.quantity) < 0 ? "neg" : "" }, quantity(position.quantity)),
    el("td", {}, fixed(position.mark, 2)),
    el("td", {}, fixed(position.delta, 3)),
    el("td", {}, fixed(position.underlying_price, 2)),
    el(
      "td",
      { className: "text beta", title: beta.method },
      el(
        "span",
        { className: "beta-cell" },
        el("span", { className: "beta-value" }, fixed(beta.value, 2)),
        el("span", { className: "beta-source", dataset: { testid: "beta-source" } }, beta.source),
        beta.unavailable &&
          el(
            "span",
            { className: "badge badge-warn", title: beta.method, dataset: { testid: "beta-unavailable" } },
            "⚠ Beta Unavailable",
          ),
      ),
    ),
    el(
      "td",
      { className: `strong ${numbers ? signClass(position.spx_delta) : ""}`.trim(), dataset: { testid: "position-spx-delta" } },
      numbers ? signed(position.spx_delta) : MISSING,
    ),
    el("td", {}, numbers ? signed(position.gamma, 2) : MISSING),
    el("td", {}, numbers ? signed(position.theta, 0) : MISSING),
    el("td", {}, numbers ? signed(position.vega, 0) : MISSING),
  );
}

function message(text) {
  return el("tr", { className: "empty" }, el("td", { colspan: COLUMNS }, text));
}

export function mount(store) {
  const body = byTestId("positions-body");
  const count = byTestId("positions-count");

  function render() {
    const risk = store.risk;
    if (risk === null) {
      count.textContent = "0";
      body.replaceChildren(message(`Waiting for risk to publish ${store.account}…`));
      return;
    }
    count.textContent = String(risk.positions.length);
    const showNumbers = !store.halted;
    const rows = risk.positions.map((position) => row(position, showNumbers));
    body.replaceChildren(...(rows.length ? rows : [message("No open positions.")]));
  }

  store.subscribe((s, change) => {
    if (change.kind === "select" || (change.kind === "risk" && change.account === s.account)) render();
  });
  render();
}
