// The page's model of the desk: the latest risk, broker status and snapshot-logger run per account
// (as the gateway streams them), every order of the blotter, the trading state, the account on
// screen, and the state of the live link. Panels subscribe to it.

export const TOTAL = "total";
export const FINAL = new Set(["FILLED", "REJECTED", "CANCELLED"]);

function instant(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

export class DeskStore {
  constructor({ account, staleAfterS, risks = {}, statuses = {}, orders = [], trading = null, snapshots = {} }) {
    this.account = account;
    this.staleAfterS = staleAfterS;
    this.risks = new Map(Object.entries(risks));
    this.statuses = new Map(Object.entries(statuses));
    this.snapshots = new Map(Object.entries(snapshots));
    this.orders = new Map();
    for (const entry of orders) this.orders.set(entry.order_id, entry);
    this.trading = trading;
    this.link = "connecting";
    this.listeners = new Set();
    this.wasStale = this.isStale();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change) {
    for (const listener of this.listeners) listener(this, change);
  }

  applyRisk(event) {
    if (this.keep(this.risks, event)) this.emit({ kind: "risk", account: event.account });
  }

  applyStatus(event) {
    if (this.keep(this.statuses, event)) this.emit({ kind: "status", account: event.account });
  }

  applySnapshot(event) {
    if (this.keep(this.snapshots, event)) this.emit({ kind: "snapshot", account: event.account });
  }

  // An order's entry: the newer wins, and a final state is never replaced by another state.
  applyOrder(entry) {
    const held = this.orders.get(entry.order_id);
    if (held) {
      if (FINAL.has(held.state) && entry.state !== held.state) return;
      if (instant(entry.updated_at) < instant(held.updated_at)) return;
      if (!entry.simulation && held.simulation && (entry.simulation_id ?? held.simulation_id) === held.simulation_id) {
        entry = { ...entry, simulation: held.simulation, simulation_id: held.simulation_id };
      }
    }
    this.orders.set(entry.order_id, entry);
    this.emit({ kind: "order", orderId: entry.order_id });
  }

  applyTrading(event) {
    const held = this.trading;
    if (held && (held.event_id === event.event_id || instant(event.occurred_at) < instant(held.occurred_at))) return;
    this.trading = event;
    this.emit({ kind: "trading" });
  }

  /** Orders newest first. */
  orderList() {
    return [...this.orders.values()].sort(
      (a, b) => instant(b.order.created_at) - instant(a.order.created_at) || instant(b.updated_at) - instant(a.updated_at),
    );
  }

  broker(account) {
    return this.statuses.get(account)?.broker ?? null;
  }

  // The newer wins; an older or repeated event (a reconnect resends the current state) is ignored.
  keep(map, event) {
    const held = map.get(event.account);
    if (held && (held.event_id === event.event_id || instant(event.occurred_at) < instant(held.occurred_at))) {
      return false;
    }
    map.set(event.account, event);
    return true;
  }

  select(account) {
    if (account === this.account) return;
    this.account = account;
    this.wasStale = this.isStale();
    this.emit({ kind: "select", account });
  }

  setLink(state) {
    if (state === this.link) return;
    this.link = state;
    this.emit({ kind: "link" });
  }

  // Called every second: staleness depends on the clock, not only on messages.
  tick(now = Date.now()) {
    const stale = this.isStale(now);
    if (stale || stale !== this.wasStale) {
      this.wasStale = stale;
      this.emit({ kind: "tick" });
    }
  }

  /** The journal's last snapshot-logger run for the account on screen, or null. */
  get snapshot() {
    return this.snapshots.get(this.account) ?? null;
  }

  get risk() {
    return this.risks.get(this.account) ?? null;
  }

  get halted() {
    return this.risk !== null && this.risk.status === "halted";
  }

  // The Greeks to show as current: none while risk is halted.
  get greeks() {
    return this.risk && !this.halted ? this.risk.greeks : null;
  }

  ageSeconds(now = Date.now()) {
    return this.risk ? (now - instant(this.risk.occurred_at)) / 1000 : null;
  }

  isStale(now = Date.now()) {
    const age = this.ageSeconds(now);
    return age !== null && age > this.staleAfterS;
  }

  accounts() {
    const seen = new Set([...this.risks.keys(), ...this.statuses.keys(), this.account]);
    for (const account of this.risks.get(TOTAL)?.accounts ?? []) seen.add(account);
    seen.delete(TOTAL);
    return [TOTAL, ...[...seen].sort()];
  }
}
