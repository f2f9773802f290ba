// The "do not trust this number" banners; the same rules as deltadesk/gateway/domain/dashboard.py.

import { byTestId, el } from "../dom.js";
import { age, clockTime, fixed } from "../format.js";

function banner(kind, title, detail, data = {}) {
  return el(
    "div",
    { className: `banner banner-${kind}`, role: "alert", dataset: { testid: `banner-${kind}`, ...data } },
    el("strong", {}, title),
    el("span", {}, detail),
  );
}

export function banners(store) {
  const list = [];
  const risk = store.risk;
  if (risk && store.halted) {
    list.push(
      banner(
        "halted",
        "SPX price unavailable",
        `Greeks halted for ${risk.account}: ${risk.halt_reason || "risk gave no reason"}. ` +
          "No SPX-equivalent delta is shown until SPX is priced again.",
        { account: risk.account },
      ),
    );
  } else if (risk && store.isStale()) {
    list.push(
      banner(
        "stale",
        "Risk is stale",
        `No risk update for ${risk.account} for ${age(store.ageSeconds())} (last at ${clockTime(risk.occurred_at)}); ` +
          "the numbers below are the last received, not current.",
        { account: risk.account },
      ),
    );
  }
  for (const breach of risk?.breaches ?? []) {
    list.push(
      banner(
        "breach",
        `Limit breached: ${breach.limit}`,
        `${breach.description} — threshold ${fixed(breach.threshold)}, actual ${fixed(breach.actual)} ` +
          `(since ${clockTime(breach.since)})`,
        { account: risk.account, limit: breach.limit },
      ),
    );
  }
  const accounts = [...store.statuses.keys()].sort();
  for (const account of accounts) {
    const status = store.statuses.get(account);
    if (status.state !== "down") continue;
    list.push(
      banner(
        "broker-down",
        `Broker down: ${status.account}`,
        `${status.broker}: ${status.reason || "no reason given"} (since ${clockTime(status.since)})`,
        { account: status.account },
      ),
    );
  }
  return list;
}

export function mount(store) {
  const root = byTestId("banner-list");
  const render = () => root.replaceChildren(...banners(store));
  store.subscribe((s, change) => {
    if (change.kind === "link") return;
    if (change.kind === "risk" && change.account !== s.account) return;
    render();
  });
  render();
}
