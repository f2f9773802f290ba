// Logging out: end the session at the gateway, then the login page.

import { post } from "../api.js";
import { byTestId } from "../dom.js";

export function mount() {
  const button = byTestId("logout");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await post("/logout");
    window.location.assign("/login");
  });
}
