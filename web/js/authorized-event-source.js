// An EventSource that sends headers: `EventSource` cannot send `Authorization`, and a presenter
// link must not travel in an address (server logs, a shared link, the history keep addresses).
// The part of the EventSource interface followResults (poll-results.js) uses: named events with
// `data` and `lastEventId`, `open` and `error`, `readyState`, `close()`; a dropped or ended stream
// is taken up again after the server's `retry:` with `Last-Event-ID`, and a refusal (any status
// but 200) ends it for good, as EventSource does — its `error` event then carries the `status`
// and the server's message.
// The stream format: https://html.spec.whatwg.org/multipage/server-sent-events.html

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

export class AuthorizedEventSource extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSED = CLOSED;

  /** `headers`: sent with every (re)connection, e.g. `{ authorization: "Bearer …" }`. */
  constructor(url, { headers = {} } = {}) {
    super();
    this.url = url;
    this.headers = headers;
    this.readyState = CONNECTING;
    this.lastEventId = "";
    this.retryMs = 3000;
    this.controller = null;
    this.timer = 0;
    this.connect();
  }

  close() {
    this.readyState = CLOSED;
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  async connect() {
    const controller = new AbortController();
    this.controller = controller;
    let response;
    try {
      response = await fetch(this.url, {
        headers: {
          ...this.headers,
          accept: "text/event-stream",
          ...(this.lastEventId ? { "last-event-id": this.lastEventId } : {}),
        },
        credentials: "omit",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch {
      this.again();
      return;
    }
    if (this.readyState === CLOSED) return;
    if (response.status !== 200 || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
      let message = `the server answered ${response.status}`;
      try {
        message = (await response.json())?.error?.message ?? message;
      } catch {
        // not the api's JSON error shape: the status says enough
      }
      this.readyState = CLOSED;
      this.dispatchEvent(Object.assign(new Event("error"), { status: response.status, message }));
      return;
    }
    this.readyState = OPEN;
    this.dispatchEvent(new Event("open"));
    try {
      await this.read(response.body);
    } catch {
      // dropped mid-stream: taken up again below
    }
    this.again();
  }

  /** After a dropped or ended stream: `error`, then a new connection after `retry:`. */
  again() {
    if (this.readyState === CLOSED) return;
    this.readyState = CONNECTING;
    this.dispatchEvent(new Event("error"));
    if (this.readyState === CLOSED) return; // closed by a listener
    this.timer = setTimeout(() => this.connect(), this.retryMs);
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = { type: "", data: [], id: null };
    for (;;) {
      const { done, value } = await reader.read();
      if (done || this.readyState === CLOSED) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (event.id != null) this.lastEventId = event.id;
          if (event.data.length) {
            const message = new MessageEvent(event.type || "message", {
              data: event.data.join("\n"),
              lastEventId: this.lastEventId,
            });
            this.dispatchEvent(message);
          }
          event = { type: "", data: [], id: null };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.type = text;
        else if (field === "data") event.data.push(text);
        else if (field === "id" && !text.includes("\0")) event.id = text;
        else if (field === "retry" && /^\d+$/.test(text)) this.retryMs = Number(text);
      }
    }
  }
}
