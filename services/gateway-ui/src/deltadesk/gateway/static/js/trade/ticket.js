// The order being built: account, underlying, up to four legs, type, time in force, limit price and
// rationale. Every change of terms bumps `version`, so a review knows when it no longer matches the
// order on screen. Quotes are market data, not terms: they change no version.

export const MAX_LEGS = 4;
export const SHARES = new Set(["STK", "ETF"]);
export const OPTIONS = new Set(["OPT", "FOP"]);
export const MOC_WARNING = "MOC not supported for options — switch to Limit or Market";

let nextKey = 1;

export function newLeg(fields = {}) {
  return {
    key: nextKey++,
    action: "SELL",
    instrument: "OPT",
    quantity: 1,
    expiry: "",
    strike: "",
    right: "P",
    tradingClass: null,
    quote: null, // the last LegQuote, or null
    error: null, // why the broker could not quote it
    ...fields,
  };
}

export function isOption(leg) {
  return OPTIONS.has(leg.instrument);
}

/** A strike as the API takes it: a plain decimal string, or null. */
function strikeText(value) {
  const text = String(value ?? "").trim();
  return /^\d+(\.\d+)?$/.test(text) && Number(text) > 0 ? text : null;
}

export class Ticket {
  constructor(account = "") {
    this.account = account;
    this.underlying = "";
    this.legs = [newLeg()];
    this.orderType = "LMT";
    this.tif = "DAY";
    this.limit = "";
    this.side = "credit";
    this.rationale = "";
    this.target = this.legs[0].key;
    this.combo = null;
    this.version = 0;
    this.listeners = new Set();
  }

  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(kind) {
    for (const listener of this.listeners) listener(this, kind);
  }

  /** A change of the order's terms: `kind` is "legs" (added or removed), "leg" (a field) or "terms". */
  changed(kind = "terms") {
    this.version += 1;
    this.emit(kind);
  }

  leg(key) {
    return this.legs.find((leg) => leg.key === key) ?? null;
  }

  get targetLeg() {
    return this.leg(this.target) ?? this.legs[0] ?? null;
  }

  addLeg() {
    if (this.legs.length >= MAX_LEGS) return null;
    const previous = this.legs[this.legs.length - 1];
    const leg = newLeg(
      previous ? { instrument: previous.instrument, expiry: previous.expiry, right: previous.right, quantity: previous.quantity } : {},
    );
    this.legs.push(leg);
    this.target = leg.key;
    this.changed("legs");
    return leg;
  }

  removeLeg(key) {
    if (this.legs.length <= 1) return;
    this.legs = this.legs.filter((leg) => leg.key !== key);
    if (!this.leg(this.target)) this.target = this.legs[0].key;
    this.changed("legs");
  }

  setTarget(key) {
    if (this.target === key || !this.leg(key)) return;
    this.target = key;
    this.emit("target");
  }

  get optionsInside() {
    return this.legs.some((leg) => !SHARES.has(leg.instrument));
  }

  /** MOC with anything but shares or funds cannot be sent. */
  get mocBlocked() {
    return this.orderType === "MOC" && this.optionsInside;
  }

  /** The leg as the API takes it (a LegSpec), or null while it is incomplete. */
  spec(leg) {
    const underlying = this.underlying.trim().toUpperCase();
    const quantity = Number(leg.quantity);
    if (!underlying || !Number.isInteger(quantity) || quantity <= 0) return null;
    const spec = { action: leg.action, instrument: leg.instrument, underlying, quantity };
    if (isOption(leg)) {
      const strike = strikeText(leg.strike);
      if (!leg.expiry || !strike || !leg.right) return null;
      Object.assign(spec, { expiry: leg.expiry, strike, right: leg.right });
      if (leg.tradingClass) spec.trading_class = leg.tradingClass;
    }
    return spec;
  }

  /** The complete legs with their specs, for quoting. */
  quotable() {
    return this.legs.map((leg) => ({ leg, spec: this.spec(leg) })).filter((x) => x.spec !== null);
  }

  /** The limit price as the API takes it: per combo, + debit, − credit; null for other types. */
  signedLimit() {
    if (this.orderType !== "LMT") return null;
    const text = String(this.limit).trim();
    if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
    return this.side === "credit" && Number(text) !== 0 ? `-${text}` : text;
  }

  /** The body of POST /api/orders, or `{ problem }` saying what is missing. */
  request() {
    if (!this.account) return { problem: "Choose an account." };
    if (!this.underlying.trim()) return { problem: "Enter an underlying." };
    const specs = [];
    for (const [index, leg] of this.legs.entries()) {
      const spec = this.spec(leg);
      if (!spec) {
        const what = isOption(leg) ? "quantity, expiry, strike and right" : "a quantity";
        return { problem: `Leg ${index + 1} needs ${what}.` };
      }
      specs.push(spec);
    }
    if (this.mocBlocked) return { problem: MOC_WARNING };
    const limit = this.signedLimit();
    if (limit === undefined) return { problem: "Enter a limit price." };
    return {
      body: {
        account: this.account,
        legs: specs,
        order_type: this.orderType,
        limit_price: limit,
        tif: this.tif,
        rationale: this.rationale,
      },
    };
  }
}
