// Simulate, review, approve. "Simulate Trade" drafts the order and simulates it (disabled while one
// is in flight); the result shows margin, commission, the Greeks before and after, and every limit
// the order would breach. The review lists exactly what will be sent; the trader must tick
// "I confirm this order" and press "Confirm & Submit" (PAPER or LIVE ORDER by the order's broker).
// Both disable at once on press. Any edit after the simulation voids the review: a new draft and a
// new simulation are needed, and the old draft is discarded.

import { post } from "../api.js";
import { byTestId, el } from "../dom.js";
import { age, clockTime, money, netPrice, signClass, signed } from "../format.js";

const SENT_TEXT = {
  APPROVED: "Approved — execution is checking and sending it.",
  SUBMITTED: "Working at the broker.",
  PARTIAL: "Partly filled — the rest is working.",
  FILLED: "Filled.",
  REJECTED: "Rejected.",
  CANCELLED: "Cancelled.",
  UNKNOWN: "Sent, but the broker's answer was lost.",
};

const GREEKS = [
  ["delta", "spx_delta", 1],
  ["gamma", "gamma", 2],
  ["theta", "theta", 0],
  ["vega", "vega", 0],
];

export function mountReview(store, ticket) {
  const simulate = byTestId("simulate");
  const status = byTestId("builder-status");
  const placeholder = byTestId("review-placeholder");
  const failure = byTestId("simulation-error");
  const panel = byTestId("simulation");
  const limits = byTestId("sim-limits");
  const warnings = byTestId("sim-warnings");
  const legsBody = byTestId("review-legs").querySelector("tbody");
  const confirm = byTestId("confirm-checkbox");
  const submit = byTestId("submit");
  const submitted = byTestId("submitted");
  const submittedText = byTestId("submitted-text");
  const submittedState = byTestId("submitted-state");
  const submittedReason = byTestId("submitted-reason");
  const newOrder = byTestId("new-order");

  // idle | simulating | simulated | failed | void | submitting | submitted
  let phase = "idle";
  let review = null; // { entry, simulation, version }
  let sentOrder = null;
  let approvedAt = null;

  const set = (id, text) => {
    byTestId(id).textContent = text;
  };

  function expired(now = Date.now()) {
    return review !== null && now >= Date.parse(review.simulation.expires_at);
  }

  function halted() {
    return store.trading?.state === "HALTED";
  }

  function canSimulate() {
    return !["simulating", "submitting"].includes(phase) && !ticket.request().problem && simulate.dataset.available !== "false";
  }

  function renderButtons() {
    const problem = ticket.request().problem;
    simulate.disabled = !canSimulate();
    simulate.textContent = phase === "simulating" ? "Simulating…" : "Simulate Trade";
    if (phase === "idle" || phase === "void" || phase === "simulated") status.textContent = problem ?? "";
    const ready = phase === "simulated" && review.version === ticket.version && !expired() && !halted();
    submit.disabled = !(ready && confirm.checked);
    confirm.disabled = !ready;
    const paper = review?.entry.broker === "paper";
    submit.textContent = `Confirm & Submit — ${paper ? "PAPER" : "LIVE"} ORDER`;
    submit.classList.toggle("live", !paper);
  }

  function showError(text) {
    failure.textContent = text;
    failure.hidden = !text;
  }

  function renderSimulation() {
    const { simulation, entry } = review;
    const margin = simulation.margin;
    set("sim-margin", money(margin.initial_margin_after ?? margin.initial_margin_before));
    const change = margin.initial_margin_change;
    set("sim-margin-change", change === null || change === undefined ? "—" : `${Number(change) < 0 ? "-" : "+"}${money(Math.abs(Number(change)))}`);
    set("sim-commission", margin.commission === null || margin.commission === undefined ? "—" : money(margin.commission, 2));
    for (const [greek, field, places] of GREEKS) {
      for (const [prefix, greeks] of [["pre", simulation.pre_trade], ["order", simulation.order_greeks], ["post", simulation.post_trade]]) {
        const cell = byTestId(`${prefix}-${greek}`);
        cell.textContent = signed(greeks[field], places);
        cell.className = prefix === "post" && simulation.breached_greeks.includes(greek) ? "breached" : signClass(greeks[field], places);
      }
    }
    limits.replaceChildren(
      ...simulation.checks.map((check) =>
        el(
          "li",
          { className: check.breached ? "breached" : "ok", dataset: { testid: check.breached ? "sim-breach" : "sim-check", limit: check.limit } },
          el("span", { className: "mark" }, check.breached ? "BREACH" : "ok"),
          el("span", { className: "name", title: check.description }, check.limit),
          el("span", { className: "nums" }, `limit ${signed(check.threshold, 1)} · after ${signed(check.actual, 1)}`),
        ),
      ),
    );
    const notes = margin.warnings ?? [];
    warnings.replaceChildren(...notes.map((w) => el("li", {}, w)));
    warnings.hidden = notes.length === 0;

    const order = entry.order;
    legsBody.replaceChildren(
      ...order.legs.map((leg) =>
        el(
          "tr",
          { dataset: { testid: "review-leg" } },
          el("td", { className: `text side-${leg.action.toLowerCase()}` }, leg.action),
          el("td", {}, String(leg.quantity)),
          el("td", { className: "text" }, leg.contract.symbol),
        ),
      ),
    );
    set("review-account", `${order.account} · ${entry.broker}`);
    set("review-type", order.order_type);
    set("review-price", order.order_type === "LMT" ? netPrice(order.limit_price) : order.order_type);
    set("review-tif", order.tif);
    renderClock();
  }

  function renderClock() {
    if (!review) return;
    const left = (Date.parse(review.simulation.expires_at) - Date.now()) / 1000;
    const valid = byTestId("sim-valid");
    valid.textContent = left > 0 ? `${age(left)} (to ${clockTime(review.simulation.expires_at)})` : "expired — simulate again";
    valid.classList.toggle("breached", left <= 0);
  }

  function render() {
    placeholder.hidden = phase !== "idle";
    panel.hidden = !(review && ["simulated", "submitting", "submitted", "void"].includes(phase));
    panel.classList.toggle("void", phase === "void");
    submitted.hidden = !["submitting", "submitted"].includes(phase);
    if (phase === "void") showError("The order changed after its simulation — simulate it again to review it.");
    renderButtons();
    renderSent();
  }

  function discardDraft() {
    const orderId = review?.entry.order_id;
    if (orderId) post(`/api/orders/${orderId}/cancel`).then((answer) => answer.ok && store.applyOrder(answer.data));
  }

  simulate.addEventListener("click", async () => {
    const request = ticket.request();
    if (request.problem || !canSimulate()) return;
    if (phase === "simulated" || phase === "void") discardDraft();
    const version = ticket.version;
    phase = "simulating";
    review = null;
    confirm.checked = false;
    showError("");
    status.textContent = "Drafting…";
    render();
    const created = await post("/api/orders", request.body);
    if (!created.ok) return failed(created.error);
    store.applyOrder(created.data);
    status.textContent = "Simulating…";
    const simulated = await post(`/api/orders/${created.data.order_id}/simulate`, {});
    if (!simulated.ok) {
      post(`/api/orders/${created.data.order_id}/cancel`).then((a) => a.ok && store.applyOrder(a.data));
      return failed(simulated.error);
    }
    review = { entry: created.data, simulation: simulated.data, version };
    phase = version === ticket.version ? "simulated" : "void";
    status.textContent = phase === "simulated" ? `Simulated at ${clockTime(simulated.data.simulated_at)}.` : "";
    renderSimulation();
    render();
  });

  function failed(error) {
    phase = "failed";
    review = null;
    showError(`Simulation failed: ${error.reason}`);
    status.textContent = "";
    render();
  }

  confirm.addEventListener("change", renderButtons);

  submit.addEventListener("click", async () => {
    if (submit.disabled || phase !== "simulated") return;
    submit.disabled = true;
    confirm.disabled = true;
    simulate.disabled = true;
    phase = "submitting";
    sentOrder = review.entry.order_id;
    submittedText.textContent = "Sending the approval…";
    render();
    const answer = await post(`/api/orders/${sentOrder}/approve`, {
      simulation_id: review.simulation.simulation_id,
      order_hash: review.simulation.order_hash,
      confirm: true,
    });
    phase = "submitted";
    if (!answer.ok) {
      submittedText.textContent = "Not sent.";
      submittedReason.textContent = `${answer.error.reason} Simulate again to approve anew.`;
      submittedReason.hidden = false;
      render();
      return;
    }
    approvedAt = answer.data.issued_at;
    submittedReason.hidden = true;
    render();
  });

  function renderSent() {
    if (!sentOrder || phase !== "submitted") {
      submittedState.hidden = true;
      return;
    }
    const entry = store.orders.get(sentOrder);
    submittedState.hidden = !entry;
    if (!entry) return;
    // Until execution reports the approval, the order is still SIMULATED at its end.
    const state = entry.state === "SIMULATED" || entry.state === "DRAFT" ? "SENT" : entry.state;
    submittedState.textContent = state;
    submittedState.className = `badge state state-${state.toLowerCase()}`;
    if (approvedAt) {
      submittedText.textContent = SENT_TEXT[entry.state] ?? `Approved at ${clockTime(approvedAt)} — execution is sending it.`;
    }
    const reason = entry.note || (entry.state === "REJECTED" ? `${entry.code ?? "REJECTED"}: ${entry.reason ?? ""}` : "");
    if (reason) {
      submittedReason.textContent = reason;
      submittedReason.hidden = false;
    }
  }

  newOrder.addEventListener("click", () => {
    phase = "idle";
    review = null;
    sentOrder = null;
    approvedAt = null;
    confirm.checked = false;
    showError("");
    submittedReason.hidden = true;
    render();
  });

  ticket.on((t, kind) => {
    if (kind === "quotes" || kind === "target") return;
    if (phase === "simulated" && review && review.version !== ticket.version) {
      phase = "void";
      discardDraft();
    } else if (phase === "failed") {
      phase = "idle";
      showError("");
    }
    render();
  });
  store.subscribe((s, change) => {
    if (change.kind === "order" && change.orderId === sentOrder) renderSent();
    if (change.kind === "trading") renderButtons();
  });
  setInterval(() => {
    if (phase === "simulated") {
      renderClock();
      renderButtons();
    }
  }, 1000);
  simulate.dataset.available = simulate.disabled ? "false" : "true";
  render();
}
