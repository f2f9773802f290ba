// The builder's market data from the gateway: expiries (cached a minute), chains and leg quotes.

import { get, post } from "../api.js";

const EXPIRIES_TTL_MS = 60_000;
const expiries = new Map();

function query(params) {
  return new URLSearchParams(params).toString();
}

/** The listed expiries, or `{ error }`; concurrent callers share one request. */
export function expiriesFor(account, underlying, instrument) {
  const key = `${account}|${underlying}|${instrument}`;
  const held = expiries.get(key);
  if (held && Date.now() - held.at < EXPIRIES_TTL_MS) return held.promise;
  const promise = get(`/api/expiries?${query({ account, underlying, instrument })}`).then((answer) => {
    if (!answer.ok) {
      expiries.delete(key);
      return { error: answer.error.reason, expiries: [] };
    }
    return { expiries: answer.data.expiries };
  });
  expiries.set(key, { at: Date.now(), promise });
  return promise;
}

export async function chainFor(account, underlying, expiry, instrument) {
  const answer = await get(`/api/chain?${query({ account, underlying, expiry, instrument })}`);
  return answer.ok ? { chain: answer.data } : { error: answer.error.reason };
}

export async function quoteLegs(account, legs) {
  const answer = await post("/api/quotes/legs", { account, legs });
  return answer.ok ? answer.data : { error: answer.error.reason };
}

/** The tick a combo's limit is rounded to: index and equity options 0.05, futures 0.25, shares 0.01. */
export function tickFor(instruments) {
  if (instruments.some((i) => i === "OPT" || i === "FOP")) return 0.05;
  if (instruments.some((i) => i === "FUT")) return 0.25;
  return 0.01;
}

export function roundToTick(value, tick) {
  const steps = Math.round(Math.abs(value) / tick);
  return (steps * tick).toFixed(2);
}
