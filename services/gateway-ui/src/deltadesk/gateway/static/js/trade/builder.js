// The order builder: account, underlying, up to four legs (side, type, quantity; expiry, strike and
// right for options), order type, time in force, limit price, rationale. Each leg shows its live
// bid / ask / last ("–" when there is none: a missing quote never blocks entry), and the combo's
// natural and mid prices follow the legs.

import { byTestId, el } from "../dom.js";
import { netPrice, price } from "../format.js";
import { shown } from "../panels/tabs.js";
import { expiriesFor, quoteLegs, roundToTick, tickFor } from "./market.js";
import { MAX_LEGS, isOption } from "./ticket.js";

const QUOTE_EVERY_MS = 2000;
// Short labels keep the leg table narrow; the type's name is the select's tooltip.
const INSTRUMENTS = [
  ["OPT", "OPT"],
  ["STK", "STK"],
  ["ETF", "ETF"],
  ["FUT", "FUT"],
  ["FOP", "FOP"],
];
const INSTRUMENT_NAMES = { OPT: "option", STK: "stock", ETF: "ETF", FUT: "future (front month)", FOP: "option on a future" };

function select(field, options, value) {
  const node = el(
    "select",
    { dataset: { field, testid: `leg-${field}` } },
    ...options.map(([v, label]) => el("option", { value: v }, label)),
  );
  node.value = value;
  return node;
}

function days(iso) {
  const ms = Date.parse(`${iso}T20:00:00Z`) - Date.now();
  return Math.max(0, Math.ceil(ms / 86_400_000));
}

export function mountBuilder(store, ticket) {
  const account = byTestId("order-account");
  const underlying = byTestId("order-underlying");
  const body = byTestId("legs-body");
  const addLeg = byTestId("add-leg");
  const orderType = byTestId("order-type");
  const tif = byTestId("order-tif");
  const limit = byTestId("order-limit");
  const side = byTestId("order-side");
  const mocWarning = byTestId("moc-warning");
  const rationale = byTestId("order-rationale");
  const natural = byTestId("combo-natural");
  const mid = byTestId("combo-mid");
  const net = byTestId("combo-net");
  const comboQuantity = byTestId("combo-quantity");

  if ([...account.options].some((o) => o.value === store.account)) account.value = store.account;
  ticket.account = account.value;

  // ── legs ──────────────────────────────────────────────────────────────────────────────────────
  function expiryCell(leg) {
    if (leg.instrument === "FUT") return el("span", { className: "muted", dataset: { testid: "leg-front" } }, "front month");
    if (!isOption(leg)) return el("span", { className: "muted" }, "—");
    const node = select("expiry", [["", "expiry…"]], "");
    fillExpiries(node, leg);
    return node;
  }

  async function fillExpiries(node, leg) {
    const symbol = ticket.underlying.trim().toUpperCase();
    if (!symbol || !ticket.account) return;
    const answer = await expiriesFor(ticket.account, symbol, leg.instrument);
    const listed = answer.expiries ?? [];
    const choices = [["", answer.error ? "unavailable" : listed.length ? "expiry…" : "none listed"]];
    for (const iso of listed) choices.push([iso, `${iso} ${days(iso)}d`]);
    if (leg.expiry && !listed.includes(leg.expiry)) choices.push([leg.expiry, leg.expiry]);
    node.replaceChildren(...choices.map(([v, label]) => el("option", { value: v }, label)));
    node.value = leg.expiry;
    node.title = answer.error ?? "";
  }

  function legRows(leg, index) {
    const option = isOption(leg);
    const row = el(
      "tr",
      {
        className: `leg-row${leg.key === ticket.target ? " target" : ""}`,
        dataset: { testid: "leg-row", key: leg.key },
      },
      el("td", { className: "text idx" }, String(index + 1)),
      el("td", { className: "text" }, select("action", [["BUY", "BUY"], ["SELL", "SELL"]], leg.action)),
      el("td", { className: "text", title: INSTRUMENT_NAMES[leg.instrument] }, select("instrument", INSTRUMENTS, leg.instrument)),
      el(
        "td",
        {},
        el("input", {
          type: "number",
          min: 1,
          step: 1,
          value: leg.quantity,
          className: "qty",
          dataset: { field: "quantity", testid: "leg-quantity" },
        }),
      ),
      el("td", { className: "text" }, expiryCell(leg)),
      el(
        "td",
        {},
        el("input", {
          type: "number",
          min: 0,
          step: "any",
          value: leg.strike,
          disabled: !option,
          className: "strike",
          dataset: { field: "strike", testid: "leg-strike" },
        }),
      ),
      el(
        "td",
        { className: "text" },
        option ? select("right", [["C", "C"], ["P", "P"]], leg.right) : el("span", { className: "muted" }, "—"),
      ),
      el("td", { className: "quote", dataset: { testid: "leg-bid" } }, "–"),
      el("td", { className: "quote", dataset: { testid: "leg-ask" } }, "–"),
      el("td", { className: "quote", dataset: { testid: "leg-last" } }, "–"),
      el(
        "td",
        {},
        el(
          "button",
          {
            type: "button",
            className: "btn btn-small btn-quiet",
            title: "Remove this leg",
            disabled: ticket.legs.length <= 1,
            dataset: { action: "remove", testid: "remove-leg" },
          },
          "×",
        ),
      ),
    );
    const note = el(
      "tr",
      { className: "leg-note", dataset: { key: leg.key } },
      el("td", {}),
      el("td", { colspan: 10, className: "text", dataset: { testid: "leg-note" } }),
    );
    return [row, note];
  }

  function renderLegs() {
    body.replaceChildren(...ticket.legs.flatMap((leg, index) => legRows(leg, index)));
    addLeg.disabled = ticket.legs.length >= MAX_LEGS;
    renderQuotes();
  }

  function renderTarget() {
    for (const row of body.querySelectorAll("tr.leg-row")) {
      row.classList.toggle("target", Number(row.dataset.key) === ticket.target);
    }
  }

  function rowOf(key) {
    return body.querySelector(`tr.leg-row[data-key="${key}"]`);
  }

  function renderQuotes() {
    for (const leg of ticket.legs) {
      const row = rowOf(leg.key);
      if (!row) continue;
      const quote = leg.quote;
      row.querySelector('[data-testid="leg-bid"]').textContent = price(quote?.bid);
      row.querySelector('[data-testid="leg-ask"]').textContent = price(quote?.ask);
      row.querySelector('[data-testid="leg-last"]').textContent = price(quote?.last);
      const note = body.querySelector(`tr.leg-note[data-key="${leg.key}"] td[data-testid="leg-note"]`);
      let text = "";
      if (leg.error) text = `No quote: ${leg.error}`;
      else if (quote) {
        const parts = [quote.contract.symbol];
        if (quote.greeks) parts.push(`Δ ${quote.greeks.delta.toFixed(2)}`);
        if (quote.iv !== null && quote.iv !== undefined) parts.push(`IV ${(quote.iv > 3 ? quote.iv : quote.iv * 100).toFixed(1)}%`);
        text = parts.join(" · ");
      }
      note.textContent = text;
      note.classList.toggle("error-text", Boolean(leg.error));
      note.parentElement.hidden = text === "";
    }
    renderCombo();
  }

  function renderCombo() {
    const combo = ticket.combo;
    natural.textContent = combo ? netPrice(combo.natural) : "–";
    mid.textContent = combo ? netPrice(combo.mid) : "–";
    natural.disabled = !(combo && combo.natural !== null) || ticket.orderType !== "LMT";
    mid.disabled = !(combo && combo.mid !== null) || ticket.orderType !== "LMT";
    comboQuantity.textContent = combo ? String(combo.combo_quantity) : "–";
    const signed = ticket.signedLimit();
    net.textContent = ticket.orderType !== "LMT" ? ticket.orderType : signed ? netPrice(signed) : "–";
  }

  function renderTerms() {
    const limited = ticket.orderType === "LMT";
    limit.disabled = !limited;
    side.disabled = !limited;
    mocWarning.hidden = !ticket.mocBlocked;
    renderCombo();
  }

  body.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-key]");
    if (!row) return;
    const key = Number(row.dataset.key);
    if (event.target.closest('[data-action="remove"]')) {
      ticket.removeLeg(key);
      return;
    }
    ticket.setTarget(key);
  });

  function onField(event) {
    const field = event.target.dataset.field;
    const row = event.target.closest("tr[data-key]");
    if (!field || !row) return;
    const leg = ticket.leg(Number(row.dataset.key));
    if (!leg) return;
    const value = event.target.value;
    if (field === "quantity") leg.quantity = value === "" ? "" : Number(value);
    else if (field === "strike") {
      leg.strike = value;
      leg.tradingClass = null; // typed by hand: the broker decides SPX or SPXW
    } else if (field === "expiry") {
      leg.expiry = value;
      leg.tradingClass = null;
    } else leg[field] = value;
    leg.quote = null;
    leg.error = null;
    if (field === "instrument") {
      if (!isOption(leg)) Object.assign(leg, { expiry: "", strike: "", tradingClass: null });
      ticket.target = leg.key;
      ticket.changed("legs"); // the row's cells change shape
    } else ticket.changed("leg");
  }
  body.addEventListener("input", (event) => {
    if (event.target.tagName === "INPUT") onField(event);
  });
  body.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT") onField(event);
  });

  addLeg.addEventListener("click", () => ticket.addLeg());

  // ── the order's terms ────────────────────────────────────────────────────────────────────────
  account.addEventListener("change", () => {
    ticket.account = account.value;
    for (const leg of ticket.legs) Object.assign(leg, { quote: null, error: null });
    ticket.changed("account");
  });
  let typing = null;
  function takeUnderlying() {
    clearTimeout(typing);
    const value = underlying.value.trim().toUpperCase();
    if (value === ticket.underlying) return;
    ticket.underlying = value;
    for (const leg of ticket.legs) Object.assign(leg, { quote: null, error: null, expiry: "", strike: "", tradingClass: null });
    ticket.changed("underlying");
  }
  underlying.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(takeUnderlying, 400);
  });
  underlying.addEventListener("change", takeUnderlying);
  orderType.addEventListener("change", () => {
    ticket.orderType = orderType.value;
    ticket.changed("terms");
  });
  tif.addEventListener("change", () => {
    ticket.tif = tif.value;
    ticket.changed("terms");
  });
  limit.addEventListener("input", () => {
    ticket.limit = limit.value;
    ticket.changed("terms");
  });
  side.addEventListener("change", () => {
    ticket.side = side.value;
    ticket.changed("terms");
  });
  rationale.addEventListener("input", () => {
    ticket.rationale = rationale.value;
    ticket.changed("terms");
  });

  function usePrice(value) {
    if (value === null || value === undefined || ticket.orderType !== "LMT") return;
    const n = Number(value);
    ticket.limit = roundToTick(n, tickFor(ticket.legs.map((leg) => leg.instrument)));
    ticket.side = n < 0 ? "credit" : "debit";
    limit.value = ticket.limit;
    side.value = ticket.side;
    ticket.changed("terms");
  }
  natural.addEventListener("click", () => usePrice(ticket.combo?.natural));
  mid.addEventListener("click", () => usePrice(ticket.combo?.mid));

  // ── quotes ───────────────────────────────────────────────────────────────────────────────────
  let inFlight = false;
  let soon = null;

  function specKey() {
    return JSON.stringify([ticket.account, ticket.quotable().map((x) => x.spec)]);
  }

  async function refreshQuotes() {
    if (inFlight || shown.tab !== "trade") return;
    const items = ticket.quotable();
    for (const leg of ticket.legs) {
      if (!items.some((x) => x.leg === leg)) Object.assign(leg, { quote: null, error: null });
    }
    if (!ticket.account || items.length === 0) {
      ticket.combo = null;
      renderQuotes();
      return;
    }
    const key = specKey();
    inFlight = true;
    let answer;
    try {
      answer = await quoteLegs(ticket.account, items.map((x) => x.spec));
    } finally {
      inFlight = false;
    }
    if (specKey() !== key) {
      schedule();
      return;
    }
    if (answer.error) {
      for (const { leg } of items) Object.assign(leg, { quote: null, error: answer.error });
      ticket.combo = null;
    } else {
      items.forEach(({ leg }, i) => Object.assign(leg, { quote: answer.quotes[i], error: answer.errors[i] }));
      ticket.combo = items.length === ticket.legs.length ? answer.combo : null;
      if (ticket.limit === "" && ticket.combo?.mid !== null && ticket.combo?.mid !== undefined) {
        const credit = Number(ticket.combo.mid) < 0 ? "credit" : "debit";
        if (credit !== ticket.side) {
          ticket.side = credit;
          side.value = credit;
          ticket.changed("terms");
        }
      }
    }
    renderQuotes();
    ticket.emit("quotes");
  }

  function schedule() {
    clearTimeout(soon);
    soon = setTimeout(refreshQuotes, 250);
  }

  ticket.on((t, kind) => {
    if (kind === "legs" || kind === "fill" || kind === "underlying" || kind === "account") renderLegs();
    if (kind === "target") renderTarget();
    if (kind === "terms" || kind === "legs" || kind === "fill") renderTerms();
    if (kind !== "quotes" && kind !== "target" && kind !== "terms") schedule();
  });
  store.subscribe((s, change) => {
    if (change.kind === "tab" && change.tab === "trade") schedule();
  });
  setInterval(refreshQuotes, QUOTE_EVERY_MS);

  renderLegs();
  renderTerms();
}
