// Risk's warnings for the account on screen (positions it could not weight, and why).

import { byTestId, el } from "../dom.js";

export function mount(store) {
  const panel = byTestId("warnings-panel");
  const list = byTestId("warnings", panel);

  function render() {
    const warnings = store.risk?.warnings ?? [];
    list.replaceChildren(...warnings.map((warning) => el("li", {}, warning)));
    panel.hidden = warnings.length === 0;
  }

  store.subscribe((s, change) => {
    if (change.kind === "select" || (change.kind === "risk" && change.account === s.account)) render();
  });
  render();
}
