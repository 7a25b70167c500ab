import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  UnauthorizedError,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

// An AI assistant connecting to an MCP server the way the MCP TypeScript SDK
// does it: OAuth discovery (RFC 9728 protected resource metadata, then RFC
// 8414 authorization server metadata), dynamic client registration (RFC 7591),
// authorization code with PKCE S256 and `resource` (RFC 8707), then a Client
// over the Streamable HTTP transport with the access token.
//
// The SDK never sees the authorization response: the app hands finishAuth()
// only the code. So this helper checks what the SDK does not: `state`, an
// `error` response, and RFC 9207's `iss` (required when the authorization
// server metadata says authorization_response_iss_parameter_supported).

/** In-memory OAuthClientProvider: one assistant, one session. */
export class AssistantOAuthProvider implements OAuthClientProvider {
  private _clientInformation?: OAuthClientInformationMixed;
  private _tokens?: OAuthTokens;
  private _codeVerifier?: string;
  /** The `state` of the latest authorization request. */
  lastState?: string;
  /** What the SDK discovered (saved only: discovery runs again on every auth()). */
  discovery?: OAuthDiscoveryState;
  /** Every authorization URL the SDK asked to open, oldest first. */
  readonly authorizationUrls: URL[] = [];

  constructor(
    private readonly _redirectUrl: string,
    private readonly _clientMetadata: OAuthClientMetadata,
  ) {}

  get redirectUrl(): string {
    return this._redirectUrl;
  }
  get clientMetadata(): OAuthClientMetadata {
    return this._clientMetadata;
  }
  state(): string {
    this.lastState = randomBytes(16).toString("base64url");
    return this.lastState;
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this._clientInformation;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this._clientInformation = info;
  }
  tokens(): OAuthTokens | undefined {
    return this._tokens;
  }
  saveTokens(tokens: OAuthTokens): void {
    this._tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl: URL): void {
    this.authorizationUrls.push(authorizationUrl);
  }
  saveCodeVerifier(codeVerifier: string): void {
    this._codeVerifier = codeVerifier;
  }
  codeVerifier(): string {
    if (!this._codeVerifier) throw new Error("no PKCE code verifier saved");
    return this._codeVerifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "client") this._clientInformation = undefined;
    if (scope === "all" || scope === "tokens") this._tokens = undefined;
    if (scope === "all" || scope === "verifier") this._codeVerifier = undefined;
    if (scope === "all" || scope === "discovery") this.discovery = undefined;
  }

  /**
   * The code from an authorization response (the redirect's full URL), after
   * checking `error`, `state` and `iss` as an OAuth 2.1 client must.
   */
  codeFrom(callback: URL): string {
    const q = callback.searchParams;
    const metadata = this.discovery?.authorizationServerMetadata as Record<string, unknown> | undefined;
    if (q.has("iss")) {
      if (metadata && q.get("iss") !== metadata.issuer) {
        throw new Error(`authorization response iss ${q.get("iss")} is not the issuer ${String(metadata.issuer)}`);
      }
    } else if (metadata?.authorization_response_iss_parameter_supported === true) {
      throw new Error("authorization response has no iss, though the metadata promises it");
    }
    if (q.has("error")) {
      throw new Error(`authorization failed: ${q.get("error")} ${q.get("error_description") ?? ""}`.trim());
    }
    if (q.get("state") !== this.lastState) throw new Error(`authorization response state mismatch: ${q.get("state")}`);
    const code = q.get("code");
    if (!code) throw new Error(`authorization response without a code: ${callback.href}`);
    return code;
  }
}

/** A loopback HTTP listener for the redirect URI: hands out each /callback hit. */
async function loopbackCallback(): Promise<{ url: string; next(): Promise<URL>; close(): Promise<void> }> {
  const hits: URL[] = [];
  const waiting: ((url: URL) => void)[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Assistant</title></head>' +
      '<body><h1>Authorization received</h1><p>You can return to the assistant.</p></body></html>');
    const waiter = waiting.shift();
    if (waiter) waiter(url);
    else hits.push(url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    next: () => {
      const hit = hits.shift();
      return hit ? Promise.resolve(hit) : new Promise<URL>((resolve) => waiting.push(resolve));
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export type AssistantOptions = {
  /**
   * Called with the authorization URL the SDK built (open it with page.goto,
   * sign in, consent) and a promise of the redirect back to the loopback
   * callback. Return the code yourself, or nothing to have the helper take it
   * from that redirect after checking error, state and iss.
   */
  onAuthorize: (authorizationUrl: URL, callback: Promise<URL>) => Promise<string | void>;
  /** client_name for dynamic registration (what pinbridge's consent page should show). */
  clientName?: string;
  /** What the registration asks for; MCP assistants are usually public clients ("none"). */
  tokenEndpointAuthMethod?: "none" | "client_secret_basic" | "client_secret_post";
  /** The client metadata's scope: the SDK's last resort after WWW-Authenticate and PRM scopes_supported. */
  scope?: string;
};

export type Assistant = {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: AssistantOAuthProvider;
  /** The loopback redirect URI the assistant registered. */
  redirectUrl: string;
  /** Every HTTP request the SDK made, as "METHOD url", in order (discovery, registration, token, MCP). */
  requests: string[];
  close(): Promise<void>;
};

/**
 * Connects an MCP client to `mcpUrl` (e.g. http://127.0.0.1:3100/mcp/<uuid>),
 * authorizing through `onAuthorize` when the server answers 401: connect →
 * UnauthorizedError → the user authorizes → transport.finishAuth(code) → connect
 * again on a new transport with the same provider (now holding tokens).
 */
export async function connectAssistant(mcpUrl: string | URL, options: AssistantOptions): Promise<Assistant> {
  const callback = await loopbackCallback();
  const provider = new AssistantOAuthProvider(callback.url, {
    client_name: options.clientName ?? "Playwright Assistant",
    redirect_uris: [callback.url],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? "none",
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const requests: string[] = [];
  const recordingFetch: FetchLike = (url, init) => {
    requests.push(`${init?.method ?? "GET"} ${String(url)}`);
    return fetch(url, init);
  };

  try {
    for (let attempt = 0; ; attempt++) {
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
        authProvider: provider,
        fetch: recordingFetch,
      });
      const client = new Client({ name: provider.clientMetadata.client_name ?? "assistant", version: "1.0.0" });
      try {
        await client.connect(transport);
        return {
          client,
          transport,
          provider,
          redirectUrl: callback.url,
          requests,
          close: async () => {
            await client.close();
            await callback.close();
          },
        };
      } catch (err) {
        // Anything but "go and authorize" fails the test, and so does a second
        // 401 after a successful authorization.
        if (!(err instanceof UnauthorizedError) || attempt > 0) throw err;
        const authorizationUrl = provider.authorizationUrls.at(-1);
        if (!authorizationUrl) throw err;
        const redirect = callback.next();
        const returned = await options.onAuthorize(authorizationUrl, redirect);
        const code = typeof returned === "string" ? returned : provider.codeFrom(await redirect);
        await transport.finishAuth(code);
      }
    }
  } catch (err) {
    await callback.close();
    throw err;
  }
}
