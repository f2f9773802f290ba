// The Journal tab: every journaled fill, newest first, a page at a time, narrowed by the filters;
// each row opens its detail (legs, Greeks before and after, market, rationale, ids); Export CSV
// downloads every entry the filters match, in either layout.

import { get } from "../api.js";
import { byTestId, el } from "../dom.js";
import { dateTime, fixed, MISSING, money, netAmount, netPrice, quantity, signed } from "../format.js";
import { shown } from "./tabs.js";

const PAGE = 50;
const COLUMNS = 10;
const RATIONALE_CHARS = 60;
const TEXT_FILTERS = ["account", "underlying", "strategy", "regime", "status"];
const REFRESH_AFTER_FILL_MS = 1500; // the journal commits a fill a moment after execution reports it

/** The day a date input names, as the instant of its start in the browser's zone (ISO, UTC). */
function dayStart(value, plusDays = 0) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + plusDays).toISOString();
}

/** The query string of the filters: blank ones left out; the end date is included (its next midnight). */
export function filterParams(form) {
  const params = new URLSearchParams();
  const start = form.elements.start.value;
  const end = form.elements.end.value;
  if (start) params.set("start", dayStart(start));
  if (end) params.set("end", dayStart(end, 1));
  for (const name of TEXT_FILTERS) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function truncate(text, chars) {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function netCell(entry) {
  const tone = entry.side === "credit" ? "pos" : entry.side === "debit" ? "neg" : "";
  return el("td", { className: tone, title: entry.summary, dataset: { testid: "journal-net" } }, netAmount(entry.net_debit_credit));
}

function row(entry, onOpen) {
  const tr = el(
    "tr",
    { className: "journal-row", tabindex: "0", dataset: { testid: "journal-row", entryId: entry.entry_id, orderId: entry.order_id } },
    el("td", { className: "text" }, el("time", { datetime: entry.filled_at }, dateTime(entry.filled_at))),
    el("td", { className: "text", dataset: { testid: "journal-account" } }, entry.account, entry.paper ? el("span", { className: "broker-tag" }, "paper") : null),
    el("td", { className: "text", dataset: { testid: "journal-underlying" } }, entry.underlying),
    el("td", { className: "text", dataset: { testid: "journal-strategy" } }, entry.strategy),
    el(
      "td",
      { className: "text" },
      el("span", { className: `badge state state-${entry.status.toLowerCase()}`, dataset: { testid: "journal-status" } }, entry.status),
    ),
    netCell(entry),
    el("td", {}, entry.commission === null ? MISSING : money(entry.commission, 2)),
    el("td", {}, fixed(entry.vix, 2)),
    el("td", { className: "text", dataset: { testid: "journal-regime" } }, entry.regime || MISSING),
    el("td", { className: "text rationale", title: entry.rationale }, truncate(entry.rationale || "", RATIONALE_CHARS)),
  );
  tr.addEventListener("click", () => onOpen(entry, tr));
  tr.addEventListener("keydown", (event) => {
    if (event.key === "Enter") onOpen(entry, tr);
  });
  return tr;
}

function fact(label, value, testid) {
  return el("div", {}, el("dt", {}, label), el("dd", { dataset: testid ? { testid } : {} }, value ?? MISSING));
}

function greeksTable(pre, post) {
  const rows = [
    ["SPX Δ", "spx_delta", 1],
    ["Γ", "gamma", 2],
    ["Θ $/day", "theta", 0],
    ["Vega $/pt", "vega", 0],
  ];
  const change = (key) => (pre && post ? post[key] - pre[key] : null);
  return el(
    "table",
    { className: "grid detail-greeks", dataset: { testid: "detail-greeks" } },
    el("thead", {}, el("tr", {}, el("th", { className: "text" }, "Greek"), el("th", {}, "Pre-trade"), el("th", {}, "Post-trade"), el("th", {}, "Change"))),
    el(
      "tbody",
      {},
      ...rows.map(([label, key, places]) =>
        el(
          "tr",
          { dataset: { testid: "detail-greek", greek: key } },
          el("td", { className: "text" }, label),
          el("td", { dataset: { testid: "detail-pre" } }, pre ? signed(pre[key], places) : MISSING),
          el("td", { dataset: { testid: "detail-post" } }, post ? signed(post[key], places) : MISSING),
          el("td", {}, signed(change(key), places)),
        ),
      ),
    ),
  );
}

function legsTable(legs) {
  return el(
    "table",
    { className: "grid detail-legs", dataset: { testid: "detail-legs" } },
    el(
      "thead",
      {},
      el("tr", {}, el("th", { className: "text" }, "Side"), el("th", {}, "Qty"), el("th", { className: "text" }, "Symbol"), el("th", {}, "Fill price"), el("th", {}, "Ordered")),
    ),
    el(
      "tbody",
      {},
      ...legs.map((leg) =>
        el(
          "tr",
          { dataset: { testid: "detail-leg" } },
          el("td", { className: `text side-${leg.action.toLowerCase()}` }, leg.action),
          el("td", {}, quantity(leg.quantity)),
          el("td", { className: "text" }, leg.symbol),
          el("td", { dataset: { testid: "detail-leg-price" } }, leg.price === null ? MISSING : fixed(leg.price, 2)),
          el("td", {}, quantity(leg.ordered)),
        ),
      ),
    ),
  );
}

function detailBody(entry) {
  const money2 = (value) => (value === null ? MISSING : money(value, 2));
  const parts = [
    el(
      "dl",
      { className: "detail-facts" },
      fact("Net debit/credit", netAmount(entry.net_debit_credit), "detail-net"),
      fact("Net price / combo", netPrice(entry.net_price), "detail-net-price"),
      fact("Combos", quantity(entry.quantity), "detail-quantity"),
      fact("Commission", money2(entry.commission), "detail-commission"),
      fact("VIX", fixed(entry.vix, 2), "detail-vix"),
      fact("SPX", fixed(entry.spx_price, 2), "detail-spx"),
      fact("Regime", entry.regime || MISSING, "detail-regime"),
      fact("Status", entry.status, "detail-status"),
    ),
    el("h3", {}, "Legs"),
    legsTable(entry.legs),
    el("h3", {}, "Greeks before and after"),
    greeksTable(entry.pre_trade, entry.post_trade),
    el("h3", {}, "Rationale"),
    el("p", { className: "rationale-text", dataset: { testid: "detail-rationale" } }, entry.rationale || "No rationale was written."),
  ];
  if (entry.ai_rationale || entry.suggestion_id) {
    parts.push(
      el("h3", {}, "AI suggestion"),
      el("p", { className: "rationale-text", dataset: { testid: "detail-ai-rationale" } }, entry.ai_rationale || MISSING),
      el("p", { className: "muted" }, "Suggestion id: ", el("code", { dataset: { testid: "detail-suggestion-id" } }, entry.suggestion_id || MISSING)),
    );
  }
  parts.push(
    el(
      "dl",
      { className: "detail-ids" },
      fact("Account", entry.account, "detail-account"),
      fact("Broker", entry.broker, "detail-broker"),
      fact("Broker order id", entry.broker_order_id, "detail-broker-order-id"),
      fact("Fill id", entry.fill_id, "detail-fill-id"),
      fact("Order id", entry.order_id, "detail-order-id"),
      fact("Journal entry", entry.entry_id, "detail-entry-id"),
    ),
  );
  return parts;
}

export function mount(store) {
  const form = byTestId("journal-filters");
  const body = byTestId("journal-body");
  const count = byTestId("journal-count");
  const range = byTestId("journal-range");
  const prev = byTestId("journal-prev");
  const next = byTestId("journal-next");
  const error = byTestId("journal-error");
  const exportButton = byTestId("export-csv");
  const exportLink = byTestId("export-link");
  const detail = byTestId("journal-detail");
  const detailTitle = byTestId("detail-title");
  const detailContent = byTestId("detail-body");
  const seen = { underlying: new Set(), strategy: new Set(), regime: new Set() };
  const lists = {
    underlying: document.getElementById("journal-underlyings"),
    strategy: document.getElementById("journal-strategies"),
    regime: document.getElementById("journal-regimes"),
  };
  let offset = 0;
  let page = null;
  let loaded = false;
  let request = 0;
  let refresh = null;
  let openId = null;

  function showError(reason) {
    error.textContent = reason;
    error.hidden = !reason;
  }

  // The filters offer what the journal holds: its accounts (also those no broker reports any
  // more) in the select, the underlyings, strategies and regimes it returned as suggestions.
  function remember(entries) {
    const accounts = form.elements.account;
    const listed = new Set([...accounts.options].map((o) => o.value));
    for (const entry of entries) {
      if (!listed.has(entry.account)) {
        listed.add(entry.account);
        accounts.append(el("option", { value: entry.account }, entry.account));
      }
    }
    for (const [name, set] of Object.entries(seen)) {
      const known = new Set([...lists[name].options].map((o) => o.value));
      for (const entry of entries) {
        const value = entry[name];
        if (value && !set.has(value) && !known.has(value)) {
          set.add(value);
          lists[name].append(el("option", { value }));
        }
      }
    }
  }

  function open(entry, tr) {
    openId = entry.entry_id;
    for (const other of body.querySelectorAll("tr.selected")) other.classList.remove("selected");
    tr?.classList.add("selected");
    detailTitle.textContent = `${entry.underlying} ${entry.strategy} · ${entry.status} · ${dateTime(entry.filled_at)}`;
    detailContent.replaceChildren(...detailBody(entry));
    detail.hidden = false;
  }

  function render() {
    const entries = page?.entries ?? [];
    body.replaceChildren(
      ...(entries.length
        ? entries.map((entry) => row(entry, open))
        : [el("tr", { className: "empty" }, el("td", { colspan: COLUMNS }, "No journal entries match these filters."))]),
    );
    const total = page?.total ?? 0;
    count.textContent = String(total);
    range.textContent = entries.length ? `${offset + 1}–${offset + entries.length} of ${total}` : `0 of ${total}`;
    prev.disabled = offset === 0;
    next.disabled = page?.next_offset === null || page?.next_offset === undefined;
    const still = entries.find((entry) => entry.entry_id === openId);
    if (still) open(still, body.querySelector(`tr[data-entry-id="${still.entry_id}"]`));
  }

  async function load() {
    loaded = true;
    const mine = ++request;
    const params = filterParams(form);
    params.set("offset", String(offset));
    params.set("limit", String(PAGE));
    form.classList.add("loading");
    const answer = await get(`/api/journal?${params}`);
    if (mine !== request) return; // a newer request replaced this one
    form.classList.remove("loading");
    if (!answer.ok) {
      showError(answer.error.reason);
      return;
    }
    showError("");
    page = answer.data;
    remember(page.entries);
    render();
  }

  function reload() {
    offset = 0;
    load();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    reload();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "layout") return;
    reload();
  });
  form.addEventListener("reset", () => setTimeout(reload, 0)); // after the form has cleared
  prev.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    load();
  });
  next.addEventListener("click", () => {
    if (page?.next_offset === null || page?.next_offset === undefined) return;
    offset = page.next_offset;
    load();
  });
  byTestId("detail-close").addEventListener("click", () => {
    detail.hidden = true;
    openId = null;
    for (const other of body.querySelectorAll("tr.selected")) other.classList.remove("selected");
  });

  // Exactly what the filters show: asked once first, so an error is shown here instead of
  // being downloaded as a file; then the browser downloads the CSV the gateway streams.
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    const params = filterParams(form);
    const check = new URLSearchParams(params);
    check.set("limit", "1");
    const answer = await get(`/api/journal?${check}`);
    exportButton.disabled = false;
    if (!answer.ok) {
      showError(`Export failed: ${answer.error.reason}`);
      return;
    }
    showError("");
    params.set("layout", form.elements.layout.value);
    exportLink.href = `/api/journal/export.csv?${params}`;
    exportLink.click();
  });

  store.subscribe((s, change) => {
    if (change.kind === "tab" && change.tab === "journal") load();
    // A new fill: refresh the first page a moment later, once the journal has committed it.
    if (change.kind === "order" && shown.tab === "journal" && loaded && offset === 0) {
      const entry = s.orders.get(change.orderId);
      if (entry && (entry.state === "FILLED" || entry.state === "PARTIAL")) {
        clearTimeout(refresh);
        refresh = setTimeout(load, REFRESH_AFTER_FILL_MS);
      }
    }
  });
  if (shown.tab === "journal") load();
}
