// The typed client of pinbridge's application API (/v1): openapi-fetch,
// typed by schema.ts (generated from sdk/openapi.json by openapi-typescript;
// `make sdk` regenerates it, do not edit it by hand).
import createClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** A connection, as listed and read (never carries a token). */
export type Connection = components["schemas"]["Connection"];
/** A connection's state. */
export type ConnectionState = components["schemas"]["ConnectionState"];
/** A link for one end user to connect Pinterest. */
export type ConnectSession = components["schemas"]["ConnectSession"];
/** A fresh Pinterest access token of a connection. */
export type AccessToken = components["schemas"]["AccessToken"];
/** An error answered by pinbridge (RFC 9457, `application/problem+json`). */
export type Problem = components["schemas"]["Problem"];
/** An error answered by Pinterest and passed through by the proxy. */
export type PinterestError = components["schemas"]["PinterestError"];

/** The `type` of every problem pinbridge answers starts with this. */
export const PROBLEM_TYPE_PREFIX = "urn:pinbridge:problem:";

/** A problem of one kind, e.g. `problemType("reconnect-required")`. */
export function problemType(kind: string): string {
  return PROBLEM_TYPE_PREFIX + kind;
}

/** Whether an error body is one of pinbridge's problems (not Pinterest's error). */
export function isProblem(error: unknown): error is Problem {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { type?: unknown }).type === "string" &&
    (error as { type: string }).type.startsWith(PROBLEM_TYPE_PREFIX) &&
    typeof (error as { status?: unknown }).status === "number"
  );
}

export type PinbridgeClient = Client<paths>;

export interface PinbridgeClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /**
   * The API's base URL, `/v1` included, e.g. `https://pinbridge.example.com/v1`
   * (the document's paths are relative to its server, `/v1`).
   */
  baseUrl: string;
  /** An environment API key from the portal's API keys page (`pinbridge_…`). */
  apiKey: string;
}

// Path parameters are percent-encoded, except the proxy's `{path}`, whose
// slashes separate Pinterest's segments (`boards/{board_id}/pins`).
function pathSerializer(pathname: string, params: Record<string, unknown>): string {
  return pathname.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) {
      return whole;
    }
    const text = String(value);
    return name === "path"
      ? text.split("/").map(encodeURIComponent).join("/")
      : encodeURIComponent(text);
  });
}

/**
 * A client of pinbridge's API that sends the key as `Authorization: Bearer`.
 * Each call answers `{ data, error, response }`: `data` typed by the
 * operation's success schema, `error` by its error schemas (a `Problem`).
 */
export function createPinbridgeClient(options: PinbridgeClientOptions): PinbridgeClient {
  const { apiKey, baseUrl, ...rest } = options;
  const client = createClient<paths>({
    pathSerializer,
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ""),
  });
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${apiKey}`);
      return request;
    },
  });
  return client;
}
