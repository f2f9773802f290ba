// How the desk's numbers read on the page; mirrors deltadesk/gateway/domain/figures.py.
// Intl rounds half away from zero on the exact value, as figures.py does; a value that rounds
// to zero shows no sign, and a missing value shows an em dash.

export const MISSING = "—";

const formats = new Map();

function numberFormat(places, signDisplay) {
  const key = `${places}:${signDisplay}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: places,
      maximumFractionDigits: places,
      signDisplay,
    });
    formats.set(key, format);
  }
  return format;
}

/** A finite number from a JSON float or a Decimal string, else null. */
export function toNumber(value) {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function signed(value, places = 1) {
  const n = toNumber(value);
  return n === null ? MISSING : numberFormat(places, "exceptZero").format(n);
}

export function fixed(value, places = 2) {
  const n = toNumber(value);
  return n === null ? MISSING : numberFormat(places, "negative").format(n);
}

export function money(value, places = 0) {
  const n = toNumber(value);
  if (n === null) return MISSING;
  const text = numberFormat(places, "never").format(n);
  const negative = numberFormat(places, "negative").format(n).startsWith("-");
  return `${negative ? "-" : ""}$${text}`;
}

export function quantity(value) {
  const n = toNumber(value);
  if (n === null) return MISSING;
  return Object.is(n, -0) ? "0" : String(n);
}

export function clockTime(iso) {
  if (!iso) return MISSING;
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return MISSING;
  return moment.toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    timeZoneName: "short",
  });
}

/** "14:03:07": a time of day in the browser's zone; mirrors figures.hms (which is UTC). */
export function hms(iso) {
  if (!iso) return MISSING;
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return MISSING;
  return moment.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** "2026-03-18 14:03:07": a date and time in the browser's zone. */
export function dateTime(iso) {
  if (!iso) return MISSING;
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return MISSING;
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ${hms(iso)}`;
}

/** "$1,250.00 cr", "$310.00 db": an amount received (credit, negative) or paid (debit, positive). */
export function netAmount(value) {
  const n = toNumber(value);
  if (n === null) return MISSING;
  const text = money(Math.abs(n), 2);
  if (text === "$0.00") return text;
  return `${text} ${n < 0 ? "cr" : "db"}`;
}

export function age(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return MISSING;
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 120) return `${whole} s`;
  if (whole < 7200) return `${Math.floor(whole / 60)} min`;
  return `${Math.floor(whole / 3600)} h`;
}

/** "pos", "neg" or "" for colouring a figure by its sign once rounded. */
export function signClass(value, places = 1) {
  const text = signed(value, places);
  if (text.startsWith("+")) return "pos";
  if (text.startsWith("-")) return "neg";
  return "";
}

/** "8.60 cr", "1.25 db": a combo's signed price (+ debit, − credit); mirrors figures.net_price. */
export function netPrice(value) {
  const n = toNumber(value);
  if (n === null) return MISSING;
  const text = fixed(Math.abs(n), 2);
  if (text === "0.00") return "0.00";
  return `${text} ${n < 0 ? "cr" : "db"}`;
}

/** A quote's price with "–" (en dash) when there is none: the builder never blocks on a quote. */
export function price(value, places = 2) {
  const n = toNumber(value);
  return n === null ? "–" : fixed(n, places);
}
