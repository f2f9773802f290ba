// The page's entry point: build the store from the state the server rendered, mount each panel,
// then follow the live stream. A new panel is one module with a `mount(store)` and one line here.

import { checkSession } from "./api.js";
import { DeskStore } from "./store.js";
import { connectStream } from "./stream.js";
import * as accounts from "./panels/accounts.js";
import * as banners from "./panels/banners.js";
import * as blotter from "./panels/blotter.js";
import * as headline from "./panels/headline.js";
import * as history from "./panels/history.js";
import * as journal from "./panels/journal.js";
import * as link from "./panels/link.js";
import * as positions from "./panels/positions.js";
import * as session from "./panels/session.js";
import * as snapshot from "./panels/snapshot.js";
import * as tabs from "./panels/tabs.js";
import * as trading from "./panels/trading.js";
import * as underlyings from "./panels/underlyings.js";
import * as warnings from "./panels/warnings.js";
import * as trade from "./trade/trade.js";

// The Journal and History panels come after the tabs: they load when their tab is (or becomes) shown.
const PANELS = [
  link, accounts, banners, headline, positions, underlyings, warnings, tabs, trading, session, blotter, trade,
  snapshot, journal, history,
];

function initialState() {
  const node = document.getElementById("desk-state");
  try {
    return node ? JSON.parse(node.textContent) : {};
  } catch {
    return {};
  }
}

const body = document.body;
const initial = initialState();
const store = new DeskStore({
  account: body.dataset.account || "total",
  staleAfterS: Number(body.dataset.staleAfterS) || 30,
  risks: initial.risks ?? {},
  statuses: initial.statuses ?? {},
  orders: initial.orders ?? [],
  trading: initial.trading ?? null,
  snapshots: initial.snapshots ?? {},
});

for (const panel of PANELS) panel.mount(store);

connectStream("/api/stream", {
  onRisk: (event) => store.applyRisk(event),
  onStatus: (event) => store.applyStatus(event),
  onOrder: (entry) => store.applyOrder(entry),
  onTrading: (event) => store.applyTrading(event),
  onSnapshot: (event) => store.applySnapshot(event),
  onLink: (state) => store.setLink(state),
  onClosed: () => checkSession(),
});
setInterval(() => store.tick(), 1000);
