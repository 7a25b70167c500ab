// The TypeScript client checked against a live pinbridge and pinterest-sim
// (run by scripts/sdk-check.sh js, from server/tests/http/sdk_clients.rs):
// a connect session, the connection list, a fresh token (which the simulator
// accepts), a proxied call, a disconnect, and the typed problems of a revoked
// connection and of a wrong key. Compiled with the package (so the calls are
// type-checked against schema.ts), run by node. Prints one JSON line last: what
// it saw, never a key or a token (the token only as its SHA-256).
//
// Environment: PINBRIDGE_SDK_BASE_URL (…/v1), PINBRIDGE_SDK_API_KEY,
// PINBRIDGE_SDK_CONNECTION_ID, PINBRIDGE_SDK_END_USER_ID, PINBRIDGE_SDK_USERNAME,
// PINBRIDGE_SDK_SIM_URL.
import { createHash } from "node:crypto";

import {
  type Connection,
  type Problem,
  createPinbridgeClient,
  isProblem,
  problemType,
} from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) {
    throw new Error(`check failed: ${what}`);
  }
}

const baseUrl = env("PINBRIDGE_SDK_BASE_URL");
const apiKey = env("PINBRIDGE_SDK_API_KEY");
const connectionId = env("PINBRIDGE_SDK_CONNECTION_ID");
const endUserId = env("PINBRIDGE_SDK_END_USER_ID");
const username = env("PINBRIDGE_SDK_USERNAME");
const simUrl = env("PINBRIDGE_SDK_SIM_URL");

const api = createPinbridgeClient({ baseUrl, apiKey });
const report: Record<string, unknown> = { client: "typescript" };

// 1. A connect session for a new end user.
{
  const { data, error, response } = await api.POST("/connect-sessions", {
    body: { end_user_id: `${endUserId}-new`, display_name: "New user" },
  });
  check(error === undefined && data !== undefined, `connect session: ${response.status}`);
  check(response.status === 201, `connect session answered ${response.status}`);
  report.connect_session = { url: data.url, end_user_id: data.end_user_id, expires_at: data.expires_at };
}

// 2. The connection list: the whole first page, then filtered by end user.
{
  const all: Connection[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/connections", {
      params: { query: { limit: 1, ...(cursor ? { cursor } : {}) } },
    });
    check(data !== undefined, `list: ${JSON.stringify(error)}`);
    all.push(...data.data);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  const found = all.find((c) => c.id === connectionId);
  check(found !== undefined, `the connection is listed (${all.length} listed)`);
  const { data: filtered } = await api.GET("/connections", {
    params: { query: { end_user_id: endUserId, state: "active" } },
  });
  check(filtered !== undefined, "filtered list");
  report.listed = {
    id: found.id,
    state: found.state,
    username: found.account.username,
    end_user_id: found.end_user_id,
    total: all.length,
    filtered_count: filtered.data.length,
  };
}

// 3. A fresh token; the simulator (Pinterest) accepts it as the account.
{
  const { data, error } = await api.POST("/connections/{id}/access-token", {
    params: { path: { id: connectionId } },
    body: { min_valid_secs: 60 },
  });
  check(data !== undefined, `access token: ${JSON.stringify(error)}`);
  check(data.connection_id === connectionId, "the token's connection");
  const direct = await fetch(`${simUrl}/v5/user_account`, {
    headers: { Authorization: `Bearer ${data.access_token}` },
  });
  const account = (await direct.json()) as { username?: string };
  report.token = {
    sha256: createHash("sha256").update(data.access_token).digest("hex"),
    token_type: data.token_type,
    expires_in: data.expires_in,
    username: data.account.username,
    scopes: data.scopes,
    sim_status: direct.status,
    sim_username: account.username ?? null,
  };
}

// 4. A proxied call: Pinterest's user_account as the connection.
{
  const { data, error, response } = await api.GET("/connections/{id}/pinterest/{path}", {
    params: { path: { id: connectionId, path: "user_account" } },
  });
  check(error === undefined, `proxy: ${response.status} ${JSON.stringify(error)}`);
  const account = data as { username?: string } | undefined;
  // A path of several segments: the client keeps its slashes.
  const boards = await api.GET("/connections/{id}/pinterest/{path}", {
    params: { path: { id: connectionId, path: "boards" } },
  });
  const board = (boards.data as { items?: { id: string }[] } | undefined)?.items?.[0];
  check(board !== undefined, `boards: ${boards.response.status}`);
  const pins = await api.GET("/connections/{id}/pinterest/{path}", {
    params: { path: { id: connectionId, path: `boards/${board.id}/pins` } },
  });
  check(pins.error === undefined, `a board's pins: ${pins.response.status}`);
  report.proxy = {
    status: response.status,
    username: account?.username ?? null,
    board_pins: (pins.data as { items?: unknown[] } | undefined)?.items?.length ?? null,
  };
}

// 5. Disconnect it; its token is then refused with a typed problem.
{
  const { data, error } = await api.DELETE("/connections/{id}", {
    params: { path: { id: connectionId } },
  });
  check(data !== undefined, `disconnect: ${JSON.stringify(error)}`);
  report.disconnected = { state: data.state };

  const refused = await api.POST("/connections/{id}/access-token", {
    params: { path: { id: connectionId } },
    body: {},
  });
  check(refused.data === undefined, "no token for a revoked connection");
  // The error's static type is the operation's error schema: a Problem.
  const problem: Problem = refused.error;
  check(problem.type === problemType("reconnect-required"), `problem type ${problem.type}`);
  report.revoked_error = {
    typed: isProblem(problem) && refused.response.headers.get("content-type") === "application/problem+json",
    status: problem.status,
    type: problem.type,
    state: problem.state ?? null,
    http_status: refused.response.status,
  };
}

// 6. A wrong key: the typed 401.
{
  const stranger = createPinbridgeClient({ baseUrl, apiKey: "pinbridge_not_a_real_key" });
  const { data, error, response } = await stranger.GET("/connections/{id}", {
    params: { path: { id: connectionId } },
  });
  check(data === undefined && error !== undefined, "a wrong key is refused");
  const problem: Problem = error;
  report.unauthorized_error = {
    typed: isProblem(problem) && response.headers.has("www-authenticate"),
    status: problem.status,
    type: problem.type,
  };
}

console.log(JSON.stringify(report));
