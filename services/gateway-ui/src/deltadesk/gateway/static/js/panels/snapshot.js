// The top bar's "Last snapshot: HH:MM:SS" for the account on screen, as the journal's snapshot
// logger last reported it; "Snapshot logger error" (the error as a tooltip) when its last run failed.

import { byTestId, el } from "../dom.js";
import { hms } from "../format.js";

export function mount(store) {
  const root = byTestId("snapshot-state");
  const text = byTestId("snapshot-text");

  function render() {
    const run = store.snapshot;
    if (!run) {
      root.dataset.state = "none";
      root.title = `The journal's snapshot logger has not reported for ${store.account} yet`;
      text.replaceChildren("Last snapshot: —");
    } else if (run.ok) {
      root.dataset.state = "ok";
      root.title = `The journal stored ${run.account}'s snapshot at ${run.occurred_at}`;
      text.replaceChildren("Last snapshot: ", el("time", { datetime: run.occurred_at }, hms(run.occurred_at)));
    } else {
      root.dataset.state = "error";
      root.title = run.error || "the snapshot logger gave no reason";
      text.replaceChildren("Snapshot logger error");
    }
  }

  store.subscribe((s, change) => {
    if (change.kind === "select" || (change.kind === "snapshot" && change.account === s.account)) render();
  });
  render();
}
