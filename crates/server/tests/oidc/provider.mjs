// Witzo's OpenID Connect provider test harness (oidc-provider 9.x).
//
// A real OP with no user interface: the login/consent interaction completes
// automatically from the authorization request's `login_hint`, which names the
// account as `<sub>:<email>:<true|false>` (the last part is email_verified).
//
// Environment:
//   OIDC_PORT     port to listen on (127.0.0.1); issuer is http://127.0.0.1:${OIDC_PORT}
//   OIDC_CLIENTS  JSON array of { client_id, client_secret, redirect_uris: [...] }
//                 (optional per client: token_endpoint_auth_method, default
//                 'client_secret_basic'; oidc-provider 9 accepts the secret
//                 either way, Basic header or client_secret form field)
//
// Prints exactly one line `ready <issuer>` on stdout once listening.
// Exits 0 on SIGTERM / SIGINT.

import * as http from 'node:http';
import * as crypto from 'node:crypto';

// oidc-provider 9 warns at import time that Node 20 is an unsupported runtime
// (it wants >= 22 LTS). It works on Node 20.18+ (needs URL.parse and
// crypto.hash), so silence exactly that warning, and the "development-only
// in-memory adapter" one, which is what a throwaway test harness wants.
const SILENCED = [
  'Unsupported runtime',
  'in-memory adapter',
];
const originalWarn = console.warn;
console.warn = (...args) => {
  const text = args.map(String).join(' ');
  if (SILENCED.some((s) => text.includes(s))) return;
  originalWarn(...args);
};
const { default: Provider, interactionPolicy } = await import('oidc-provider');
// stdout is reserved for the single `ready <issuer>` line: oidc-provider
// prints its NOTICEs with console.info, so send those to stderr.
console.info = (...args) => console.error(...args);

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- config ---

const port = Number.parseInt(process.env.OIDC_PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  fail(`OIDC_PORT must be a TCP port, got ${JSON.stringify(process.env.OIDC_PORT)}`);
}
const issuer = `http://127.0.0.1:${port}`;

let rawClients;
try {
  rawClients = JSON.parse(process.env.OIDC_CLIENTS ?? '');
} catch (err) {
  fail(`OIDC_CLIENTS must be a JSON array: ${err.message}`);
}
if (!Array.isArray(rawClients) || rawClients.length === 0) {
  fail('OIDC_CLIENTS must be a non-empty JSON array');
}
const clients = rawClients.map((c) => ({
  client_id: c.client_id,
  client_secret: c.client_secret,
  redirect_uris: c.redirect_uris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
}));

// RS256 signing key, fresh per start-up, published at the jwks_uri.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `witzo-test-${crypto.randomBytes(6).toString('hex')}`,
  alg: 'RS256',
  use: 'sig',
};

// ---------------------------------------------------------- login_hint -----

// `<sub>:<email>:<true|false>`; sub must not contain ':' (emails may not either
// here, which is fine for tests).
function parseLoginHint(hint) {
  if (typeof hint !== 'string') return undefined;
  const parts = hint.split(':');
  if (parts.length !== 3) return undefined;
  const [sub, email, verified] = parts;
  if (!sub || !email || !email.includes('@')) return undefined;
  if (verified !== 'true' && verified !== 'false') return undefined;
  return { sub, email, email_verified: verified === 'true' };
}

// oidc-provider always uses the accountId as the `sub` claim, so the account
// id is the bare <sub>; the rest of the hint is remembered per sub here (last
// login wins, i.e. a login with a new email "updates the user's profile").
const accounts = new Map();

// ------------------------------------------------------------- provider -----

// Always send the authorization request through the (automatic) interaction,
// even if the client's cookie jar carries an OP session from an earlier login:
// the login_hint then decides the account every time and the redirect
// sequence is always the same.
const { Check, base } = interactionPolicy;
const policy = base();
policy.get('login').checks.add(new Check(
  'harness_always_login',
  'the test harness authenticates every authorization request from login_hint',
  (ctx) => (ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT),
));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Put the scope-granted claims (email, email_verified, name) in the ID
  // token too; by default v9 only puts them there for response_type=id_token.
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  pkce: { required: () => true },
  // Explicit lifetimes (seconds); the defaults print a NOTICE when used.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  features: {
    devInteractions: { enabled: false },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `${issuer}/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: account.sub,
          email: account.email,
          email_verified: account.email_verified,
          name: `Test User ${account.sub}`,
        };
      },
    };
  },
  // Surface provider-side errors on stderr rather than in an HTML page only.
  async renderError(ctx, out, error) {
    ctx.type = 'json';
    ctx.body = out;
    if (error?.status >= 500 || !error?.expose) {
      process.stderr.write(`provider.mjs: ${error?.stack ?? error}\n`);
    }
  },
});

// Plain http on loopback: no proxy in front, cookies are not `secure`.
provider.proxy = false;

function plain(res, status, message) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`${message}\n`);
}

async function interaction(req, res) {
  if (req.method !== 'GET' && req.method !== 'POST') {
    return plain(res, 405, 'method not allowed');
  }
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    return plain(res, 400, `no interaction in progress (is the _interaction cookie sent?): ${err.error_description ?? err.message}`);
  }
  const { params } = details;
  const account = parseLoginHint(params.login_hint);
  if (!account) {
    return plain(
      res,
      400,
      `login_hint must be <sub>:<email>:<true|false>, got ${JSON.stringify(params.login_hint ?? null)}`,
    );
  }
  accounts.set(account.sub, account);

  // Start from a fresh OP session: an existing one (cookie jar reused across
  // logins) for another account would otherwise make oidc-provider render a
  // logout-confirmation page instead of redirecting.
  if (details.session) {
    if (details.session.cookie) {
      await provider.Session.adapter.destroy(details.session.cookie);
    }
    details.session = undefined;
    details.grantId = undefined;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  }

  const grant = new provider.Grant({ accountId: account.sub, clientId: params.client_id });
  const requested = String(params.scope ?? '').split(' ').filter(Boolean);
  const allowed = requested.filter((s) => ['openid', 'email', 'profile'].includes(s));
  if (allowed.length) grant.addOIDCScope(allowed.join(' '));
  if (params.claims) {
    try {
      const claims = JSON.parse(params.claims);
      for (const use of ['id_token', 'userinfo']) {
        if (claims?.[use]) grant.addOIDCClaims(Object.keys(claims[use]));
      }
    } catch { /* rejected earlier by the provider if malformed */ }
  }
  const grantId = await grant.save();

  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (/^\/interaction\/[^/]+$/.test(path)) {
    interaction(req, res).catch((err) => {
      process.stderr.write(`provider.mjs: interaction failed: ${err.stack ?? err}\n`);
      if (!res.headersSent) plain(res, 500, 'interaction failed');
      else res.end();
    });
    return;
  }
  callback(req, res);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
server.on('error', (err) => fail(`listen failed: ${err.message}`));

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
