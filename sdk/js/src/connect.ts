// connect(): an end user connects Pinterest in a popup over the operator's
// page, and the page learns the result.
//
// The operator's server creates a connect session (POST /v1/connect-sessions,
// with a return URL on one of the environment's allowed origins) and hands its
// `url` to the page. connect(url) opens it in a popup; pinbridge's last page in
// the popup sends the result with postMessage to exactly the return URL's
// origin (never "*") and closes. Messages from any other origin or window are
// ignored. When the browser blocks the popup, the page itself goes to the
// connect URL and comes back to the return URL with `status` and
// `connection_id` in its query, as without the SDK.

/** A connection made (or renewed). */
export interface ConnectResult {
  status: "connected";
  connectionId: string;
}

/** Why connect() did not end with a connection. */
export type ConnectErrorCode =
  /** The end user closed the popup before finishing. */
  | "closed"
  /** The end user chose not to allow access on Pinterest. */
  | "denied"
  /** The connect session's link expired, or was already used. */
  | "expired"
  /** The browser blocked the popup: the page is going to the connect URL instead. */
  | "popup_blocked"
  /** Anything else pinbridge reported; `reason` says what. */
  | "failed";

export class ConnectError extends Error {
  readonly code: ConnectErrorCode;
  /** pinbridge's reason code, when it sent one (e.g. `access_denied`). */
  readonly reason?: string;

  constructor(code: ConnectErrorCode, message: string, reason?: string) {
    super(message);
    this.name = "ConnectError";
    this.code = code;
    this.reason = reason;
  }
}

export interface ConnectOptions {
  /** The popup's size in CSS pixels (default 520 × 720). */
  width?: number;
  height?: number;
  /** How often to look whether the popup was closed, in ms (default 400). */
  pollMs?: number;
  /** Instead of `window.location.assign`, when the popup is blocked (for tests and routers). */
  redirect?: (url: string) => void;
}

/** What pinbridge's page in the popup sends. */
interface ResultMessage {
  type: "pinbridge:connect";
  status: "connected" | "failed";
  connectionId?: string;
  reason?: string;
}

const MESSAGE_TYPE = "pinbridge:connect";
const POPUP_NAME = "pinbridge-connect";

function isResult(data: unknown): data is ResultMessage {
  if (typeof data !== "object" || data === null) return false;
  const d = data as Record<string, unknown>;
  return d.type === MESSAGE_TYPE && (d.status === "connected" || d.status === "failed");
}

function errorFor(reason: string | undefined): ConnectError {
  switch (reason) {
    case "access_denied":
      return new ConnectError("denied", "The end user did not allow access on Pinterest.", reason);
    case "link_expired":
    case "link_used":
    case "state_expired":
      return new ConnectError("expired", "The connect link has expired or was already used: create a new connect session.", reason);
    default:
      return new ConnectError("failed", `Connecting failed (${reason ?? "no reason given"}).`, reason);
  }
}

/**
 * Opens the connect session's URL in a popup and resolves with the connection
 * when the end user has connected Pinterest; rejects with a ConnectError.
 */
export function connect(sessionUrl: string, options: ConnectOptions = {}): Promise<ConnectResult> {
  const url = new URL(sessionUrl, window.location.href);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Promise.reject(new ConnectError("failed", "The connect session URL must be an http(s) URL."));
  }
  const pinbridgeOrigin = url.origin;
  const popupUrl = new URL(url.toString());
  popupUrl.searchParams.set("display", "popup");
  const width = options.width ?? 520;
  const height = options.height ?? 720;
  const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - width) / 2));
  const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - height) / 2));
  const popup = window.open(
    popupUrl.toString(),
    POPUP_NAME,
    `popup=yes,width=${width},height=${height},left=${left},top=${top}`,
  );
  if (!popup) {
    const go = options.redirect ?? ((to: string) => window.location.assign(to));
    go(url.toString());
    return Promise.reject(
      new ConnectError("popup_blocked", "The browser blocked the popup: continuing in this window instead."),
    );
  }
  return new Promise<ConnectResult>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      window.clearInterval(timer);
      window.removeEventListener("message", onMessage);
      outcome();
    };
    const onMessage = (event: MessageEvent) => {
      // Only pinbridge's page, in the popup this call opened.
      if (event.origin !== pinbridgeOrigin || event.source !== popup || !isResult(event.data)) return;
      const data = event.data;
      if (data.status === "connected" && typeof data.connectionId === "string" && data.connectionId !== "") {
        const connectionId = data.connectionId;
        finish(() => resolve({ status: "connected", connectionId }));
      } else {
        finish(() => reject(errorFor(data.reason)));
      }
    };
    const timer = window.setInterval(() => {
      if (!popup.closed) return;
      // A result posted just before the popup closed is still on its way.
      window.setTimeout(
        () => finish(() => reject(new ConnectError("closed", "The popup was closed before connecting finished."))),
        100,
      );
    }, options.pollMs ?? 400);
    window.addEventListener("message", onMessage);
  });
}
