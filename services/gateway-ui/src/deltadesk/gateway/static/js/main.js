// The page's entry point: build the store from the state the server rendered, mount each panel,
// then follow the live stream. A new panel is one module with a `mount(store)` and one line here.

import { DeskStore } from "./store.js";
import { connectStream } from "./stream.js";
import * as accounts from "./panels/accounts.js";
import * as banners from "./panels/banners.js";
import * as headline from "./panels/headline.js";
import * as link from "./panels/link.js";
import * as positions from "./panels/positions.js";
import * as underlyings from "./panels/underlyings.js";
import * as warnings from "./panels/warnings.js";

const PANELS = [link, accounts, banners, headline, positions, underlyings, warnings];

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
});

for (const panel of PANELS) panel.mount(store);

connectStream("/api/stream", {
  onRisk: (event) => store.applyRisk(event),
  onStatus: (event) => store.applyStatus(event),
  onLink: (state) => store.setLink(state),
});
setInterval(() => store.tick(), 1000);
