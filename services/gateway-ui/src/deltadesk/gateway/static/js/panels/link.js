// The live link's state: the indicator in the top bar, and a banner when the stream drops.

import { byTestId } from "../dom.js";

const LABELS = { connecting: "connecting…", live: "live", lost: "connection lost" };

export function mount(store) {
  const indicator = byTestId("link-state");
  const banner = byTestId("banner-connection");

  function render() {
    indicator.dataset.state = store.link;
    indicator.querySelector(".text").textContent = LABELS[store.link] ?? store.link;
    banner.hidden = store.link !== "lost";
    document.body.classList.toggle("offline", store.link === "lost");
  }

  store.subscribe((s, change) => {
    if (change.kind === "link") render();
  });
  render();
}
