// The tabs: Risk, Trade, Journal and History. The address's hash keeps the choice (#trade) for a
// reload; the Trade tab's badge counts working orders.

import { byTestId } from "../dom.js";

export const shown = { tab: "risk" };

export function mount(store) {
  const tabs = [...document.querySelectorAll(".tabs [data-tab]")];
  const count = byTestId("working-count");

  function show(name) {
    if (!tabs.some((tab) => tab.dataset.tab === name)) name = "risk";
    shown.tab = name;
    for (const tab of tabs) {
      const active = tab.dataset.tab === name;
      tab.classList.toggle("active", active);
      if (active) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    for (const panel of document.querySelectorAll("main [data-panel]")) panel.hidden = panel.dataset.panel !== name;
    store.emit({ kind: "tab", tab: name });
  }

  for (const tab of tabs) {
    tab.addEventListener("click", (event) => {
      event.preventDefault();
      window.history.replaceState(null, "", `#${tab.dataset.tab}`);
      show(tab.dataset.tab);
    });
  }

  function renderCount() {
    const working = store.orderList().filter((o) => o.cancellable && !o.draft).length;
    count.textContent = String(working);
    count.hidden = working === 0;
  }

  store.subscribe((s, change) => {
    if (change.kind === "order") renderCount();
  });
  renderCount();
  show(window.location.hash.slice(1) || "risk");
}
