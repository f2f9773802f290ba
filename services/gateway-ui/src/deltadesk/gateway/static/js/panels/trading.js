// The trading state (ACTIVE, REDUCING, HALTED) in the top bar, and the kill switch: engaging or
// releasing it always goes through a confirmation dialog.

import { post } from "../api.js";
import { byTestId } from "../dom.js";
import { clockTime } from "../format.js";

export function mount(store) {
  const root = byTestId("trading-state");
  const value = byTestId("trading-state-value");
  const button = byTestId("kill-switch");
  const dialog = byTestId("kill-switch-dialog");
  const title = byTestId("kill-switch-title");
  const text = byTestId("kill-switch-text");
  const reason = byTestId("kill-switch-reason");
  const error = byTestId("kill-switch-error");
  const confirm = byTestId("kill-switch-confirm");
  const cancel = byTestId("kill-switch-cancel");
  const banner = byTestId("banner-trading");

  const halted = () => store.trading?.state === "HALTED";

  function render() {
    const trading = store.trading;
    const state = trading?.state ?? "unknown";
    root.dataset.state = state;
    value.textContent = trading ? trading.state : "—";
    root.title = trading
      ? `${trading.state} since ${clockTime(trading.occurred_at)} by ${trading.changed_by}: ${trading.reason}`
      : "No trading state published yet: execution treats that as ACTIVE (nothing halted)";
    button.textContent = halted() ? "Release kill switch" : "Kill switch";
    button.classList.toggle("engaged", halted());
    const restricted = state === "HALTED" || state === "REDUCING";
    banner.hidden = !restricted;
    banner.dataset.state = restricted ? state : "";
    if (restricted) {
      banner.querySelector("strong").textContent =
        state === "HALTED" ? "Trading halted — nothing is transmitted" : "Reducing only — orders that add exposure are refused";
      banner.querySelector("span").textContent =
        `${trading.reason} (by ${trading.changed_by || "execution"}, since ${clockTime(trading.occurred_at)})`;
    }
  }

  button.addEventListener("click", () => {
    const release = halted();
    title.textContent = release ? "Release the kill switch?" : "Engage the kill switch?";
    text.textContent = release
      ? "Execution will transmit approved orders again. Orders approved while halted were refused; approve them anew."
      : "Execution will transmit nothing — no order at any broker — until the switch is released. Working orders stay working; cancels still go.";
    confirm.textContent = release ? "Release — resume trading" : "Halt all trading";
    confirm.classList.toggle("btn-danger", !release);
    confirm.dataset.engage = release ? "false" : "true";
    reason.value = "";
    error.hidden = true;
    confirm.disabled = false;
    dialog.showModal();
    reason.focus();
  });

  cancel.addEventListener("click", () => dialog.close());

  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    const engaged = confirm.dataset.engage === "true";
    const answer = await post("/api/kill-switch", { engaged, reason: reason.value.trim() || null });
    if (!answer.ok) {
      error.textContent = answer.error.reason;
      error.hidden = false;
      confirm.disabled = false;
      return;
    }
    const status = answer.data;
    store.applyTrading({
      event_id: `local-${status.changed_at}`,
      occurred_at: status.changed_at,
      state: status.state,
      reason: status.reason,
      changed_by: status.changed_by,
    });
    dialog.close();
  });

  store.subscribe((s, change) => {
    if (change.kind === "trading") render();
  });
  render();
}
