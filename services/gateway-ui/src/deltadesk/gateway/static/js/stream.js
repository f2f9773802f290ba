// The live link to the gateway: /api/stream as an EventSource. The browser reconnects by itself
// after a dropped stream; when it gives up (the server answered with an error, e.g. the login
// ended) we say so through `onClosed` and start over.

const MAX_RETRY_MS = 10000;

export function connectStream(url, { onRisk, onStatus, onOrder, onTrading, onSnapshot, onLink, onClosed }) {
  let source = null;
  let retryMs = 1000;
  let timer = null;

  function parse(message) {
    try {
      return JSON.parse(message.data);
    } catch {
      return null;
    }
  }

  function open() {
    timer = null;
    onLink("connecting");
    source = new EventSource(url);
    source.addEventListener("open", () => {
      retryMs = 1000;
      onLink("live");
    });
    source.addEventListener("risk", (message) => {
      const event = parse(message);
      if (event) onRisk(event);
    });
    source.addEventListener("status", (message) => {
      const event = parse(message);
      if (event) onStatus(event);
    });
    source.addEventListener("order", (message) => {
      const event = parse(message);
      if (event) onOrder(event);
    });
    source.addEventListener("trading", (message) => {
      const event = parse(message);
      if (event) onTrading(event);
    });
    source.addEventListener("snapshot", (message) => {
      const event = parse(message);
      if (event) onSnapshot?.(event);
    });
    source.addEventListener("error", () => {
      onLink("lost");
      if (source.readyState === EventSource.CLOSED && timer === null) {
        source.close();
        onClosed?.();
        timer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    });
  }

  open();
  return () => {
    if (timer !== null) clearTimeout(timer);
    source?.close();
  };
}
