#!/usr/bin/env node
// A test OpenID Provider for the end-to-end suite: panva's certified
// oidc-provider with one confidential client, in-memory state, plain http on
// 127.0.0.1, and a two-field sign-in page where any username and password work.
//
//   node idp/provider.mjs [--port N] [--client-id ID] [--client-secret S] --redirect-uri URI [--redirect-uri URI2]
//
// Settings (flags win over the environment):
//   --port           IDP_PORT            0 (default) picks a free port
//   --client-id      IDP_CLIENT_ID       default "pinbridge-e2e"
//   --client-secret  IDP_CLIENT_SECRET   default "pinbridge-e2e-secret"
//   --redirect-uri   IDP_REDIRECT_URIS   required; the flag repeats, the variable
//                                        holds URIs separated by spaces or commas
//
// Prints exactly one line to stdout, `ready http://127.0.0.1:<port>` (the
// issuer), once it listens; oidc-provider's development warnings go to stderr.
// Stops cleanly on SIGTERM or SIGINT.
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
  },
});
const port = Number(args.port ?? process.env.IDP_PORT ?? 0);
const clientId = args["client-id"] ?? process.env.IDP_CLIENT_ID ?? "pinbridge-e2e";
const clientSecret = args["client-secret"] ?? process.env.IDP_CLIENT_SECRET ?? "pinbridge-e2e-secret";
const redirectUris = args["redirect-uri"] ?? (process.env.IDP_REDIRECT_URIS ?? "").split(/[\s,]+/).filter(Boolean);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port: ${args.port ?? process.env.IDP_PORT}`);
if (redirectUris.length === 0) fail("no redirect URI: pass --redirect-uri or set IDP_REDIRECT_URIS");

function fail(message) {
  console.error(`idp: ${message}`);
  process.exit(2);
}

// The issuer holds the port, so listen first (port 0 = any free one) and
// attach the provider once the port is known.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// A fresh RS256 signing key for every start (published at /jwks).
const signingKey = {
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
  kid: randomUUID(),
  alg: "RS256",
  use: "sig",
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      response_types: ["code"],
      grant_types: ["authorization_code"],
      // oidc-provider accepts client_secret_post as well for a client registered
      // with client_secret_basic (lib/shared/client_auth.js): both work.
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
  ],
  responseTypes: ["code"],
  jwks: { keys: [signingKey] },
  // Cookies ignore ports: prefixed so they never meet pinbridge's or the simulator's on 127.0.0.1.
  cookies: {
    names: { session: "idp_session", interaction: "idp_interaction", resume: "idp_interaction_resume" },
    keys: [randomBytes(32).toString("base64url")],
  },

  // Any login name is an account: `sub` and `end_user_id` are the name itself.
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          end_user_id: sub,
          email: `${sub}@example.test`,
          email_verified: true,
          name: sub,
          preferred_username: sub,
        };
      },
    };
  },
  scopes: ["openid", "email", "profile"],
  claims: {
    openid: ["sub", "end_user_id"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
  },
  // Put the granted scopes' claims in the ID token too, not only at /me.
  conformIdTokenClaims: false,

  // Consent is granted without asking: every sign-in's grant covers whatever
  // OpenID scopes and claims the request names, so only the sign-in page shows.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== session.accountId) {
      grant = new Grant({ accountId: session.accountId, clientId: client.clientId });
    }
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(" "));
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },

  // Our own sign-in page below instead of the development one (which loads a web font).
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // PKCE (S256) is accepted; oidc-provider only requires it of public clients.

  // Fixed lifetimes (the defaults print a notice to stdout on first use).
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  async renderError(ctx, out) {
    ctx.type = "html";
    ctx.body = page("Sign-in error", `<h1>Sign-in error</h1><p id="error">${escape(out.error)}</p>` +
      `<p id="error_description">${escape(out.error_description ?? "")}</p>`);
  },
});

// ---- The sign-in page: GET /interaction/:uid, POST .../login, POST .../abort.

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main>${body}</main></body></html>`;
}

async function formBody(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  const { prompt, params } = details;

  if (action === "abort" && req.method === "POST") {
    return provider.interactionFinished(req, res, {
      error: "access_denied",
      error_description: "End-User aborted interaction",
    }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === "login" && action === "login" && req.method === "POST") {
    const username = (await formBody(req)).get("username")?.trim();
    if (!username) {
      res.writeHead(303, { location: `/interaction/${uid}` }).end();
      return;
    }
    return provider.interactionFinished(req, res, { login: { accountId: username } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (prompt.name === "consent") {
    // Only when a request says prompt=consent: granted at once, no page.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, {
      mergeWithLastSubmission: true,
    });
  }
  if (prompt.name === "login" && action === "" && req.method === "GET") {
    const hint = params.login_hint ? ` value="${escape(params.login_hint)}"` : "";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(page("Sign in · Test IdP", `
<h1>Sign in to the test IdP</h1>
<p>Any username and password work; the username becomes the account.</p>
<form method="post" action="/interaction/${uid}/login">
  <p><label for="username">Username</label> <input id="username" name="username" required autofocus${hint}></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
  <p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`));
    return;
  }
  res.writeHead(400, { "content-type": "text/plain" }).end(`unexpected ${req.method} for prompt ${prompt.name}\n`);
}

const callback = provider.callback();
server.on("request", (req, res) => {
  // Browsers ask for an icon after every page: no content, rather than a 404
  // the suite's console check would count.
  if (req.url === "/favicon.ico") return void res.writeHead(204).end();
  const match = /^\/interaction\/([^/?]+)(?:\/(login|abort))?(?:\?.*)?$/.exec(req.url ?? "");
  if (!match) return callback(req, res);
  interaction(req, res, match[1], match[2] ?? "").catch((err) => {
    // An unknown or expired interaction (e.g. its cookie is gone).
    if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
    res.end(`interaction failed: ${err.message}\n`);
  });
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

console.log(`ready ${issuer}`);
