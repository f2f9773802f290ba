// The account selector: `total` and every account seen. Switching is instant (the store holds
// every account's latest risk) and the address keeps the choice for a reload.

import { byTestId, el } from "../dom.js";

export function mount(store) {
  const select = byTestId("account-select");
  let shown = "";

  function render() {
    const accounts = store.accounts();
    const key = accounts.join("\n");
    if (key !== shown) {
      shown = key;
      select.replaceChildren(...accounts.map((account) => el("option", { value: account }, account)));
    }
    select.value = store.account;
  }

  select.addEventListener("change", () => {
    store.select(select.value);
    const url = new URL(window.location.href);
    url.searchParams.set("account", select.value);
    window.history.replaceState(null, "", url);
  });
  store.subscribe((s, change) => {
    if (change.kind !== "link" && change.kind !== "tick") render();
  });
  render();
}
