// The blotter: every order with its state, live. A rejection's reason in red, an unknown state's
// instruction, a partial fill's unfilled legs, and a cancel button on what can still be cancelled.

import { post } from "../api.js";
import { byTestId, el } from "../dom.js";
import { clockTime, netPrice, quantity } from "../format.js";

const COLUMNS = 10;

function detail(entry) {
  const parts = [];
  if (entry.note) parts.push(el("span", { className: "note-unknown", dataset: { testid: "blotter-note" } }, entry.note));
  if (entry.reason && entry.state !== "UNKNOWN") {
    const rejected = entry.state === "REJECTED";
    parts.push(
      el(
        "span",
        { className: rejected ? "reason rejected" : "reason", dataset: { testid: "blotter-reason" } },
        entry.code && rejected ? `${entry.code}: ${entry.reason}` : entry.reason,
      ),
    );
  }
  if (entry.confirmations?.length) {
    // the broker's questions the adapter answered when placing: recorded, never hidden
    parts.push(
      el(
        "span",
        { className: "confirmations", dataset: { testid: "blotter-confirmations" }, title: entry.confirmations.join("\n") },
        `Confirmed at the broker: ${entry.confirmations.join(" | ")}`,
      ),
    );
  }
  if (entry.unfilled_legs?.length) {
    const legs = entry.unfilled_legs.map((leg) => `${leg.action} ${quantity(leg.ordered)} ${leg.symbol} (${quantity(leg.quantity)} filled)`);
    parts.push(el("span", { className: "unfilled", dataset: { testid: "blotter-unfilled" } }, `Unfilled: ${legs.join("; ")}`));
  }
  return parts;
}

function row(entry, onCancel) {
  const order = entry.order;
  const cancel =
    entry.cancellable &&
    el(
      "button",
      { type: "button", className: "btn btn-small", dataset: { testid: "blotter-cancel" } },
      entry.draft ? "Discard" : "Cancel",
    );
  if (cancel) cancel.addEventListener("click", () => onCancel(entry, cancel));
  return el(
    "tr",
    { dataset: { testid: "blotter-row", orderId: entry.order_id, state: entry.state } },
    el("td", { className: "text" }, el("time", { datetime: order.created_at }, clockTime(order.created_at))),
    el("td", { className: "text" }, entry.account, el("span", { className: "broker-tag" }, entry.broker)),
    el("td", { className: "text summary", title: order.rationale || "" }, entry.summary),
    el("td", { className: "text" }, `${order.order_type} ${order.tif}`),
    el("td", {}, order.order_type === "LMT" ? netPrice(order.limit_price) : "—"),
    el(
      "td",
      { className: "text" },
      el("span", { className: `badge state state-${entry.state.toLowerCase()}`, dataset: { testid: "blotter-state" } }, entry.state),
    ),
    el("td", {}, quantity(entry.filled_quantity)),
    el("td", { className: "text" }, entry.broker_order_id || "—"),
    el("td", { className: "text detail", dataset: { testid: "blotter-detail" } }, ...detail(entry)),
    el("td", {}, cancel || ""),
  );
}

export function mount(store) {
  const body = byTestId("blotter-body");
  const drafts = byTestId("show-drafts");

  async function onCancel(entry, button) {
    button.disabled = true;
    const answer = await post(`/api/orders/${entry.order_id}/cancel`);
    if (answer.ok) store.applyOrder(answer.data);
    else {
      button.disabled = false;
      button.title = answer.error.reason;
      button.textContent = "Retry cancel";
    }
  }

  function render() {
    const orders = store.orderList().filter((o) => drafts.checked || !o.draft);
    body.replaceChildren(
      ...(orders.length
        ? orders.map((o) => row(o, onCancel))
        : [el("tr", { className: "empty" }, el("td", { colspan: COLUMNS }, "No orders yet."))]),
    );
  }

  drafts.addEventListener("change", render);
  store.subscribe((s, change) => {
    if (change.kind === "order") render();
  });
  render();
}
