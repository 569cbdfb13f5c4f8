// A real OpenID provider (panva's oidc-provider) for bwledger's OIDC tests, served over TLS.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json (written by tests/oidc/provider_fixture.py):
//   { "issuer": "https://localhost:PORT", "port": PORT, "cert": PEM_FILE, "key": PEM_FILE,
//     "clients": [ oidc-provider client metadata, ... ],
//     "users": { "<login>": { "password": "...", "claims": { "bw_party": "GM0166", "bw_roles": [...] } } },
//     "machine_resource": "urn:bwledger:api" }
//
// Login and consent are this script's own small forms (no devInteractions): a wrong password is refused.
// A machine client may carry "bw_party"/"bw_roles" in its metadata; its client_credentials access token
// (a JWT for machine_resource) carries them as claims.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';

import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = cfg.users ?? {};
const machineResource = cfg.machine_resource ?? 'urn:bwledger:api';

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const machineClaims = new Map((cfg.clients ?? []).filter((c) => c.bw_party)
  .map((c) => [c.client_id, { bw_party: c.bw_party, bw_roles: c.bw_roles ?? [] }]));
const clients = (cfg.clients ?? []).map(({ bw_party, bw_roles, ...metadata }) => metadata);

const provider = new Provider(cfg.issuer, {
  clients,
  jwks: { keys: [{ ...signingKey, kid: 'test-signing-1', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(ctx, id) {
    if (!Object.hasOwn(users, id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...users[id].claims }; } };
  },
  claims: { openid: ['sub'], profile: ['name'], bw: ['bw_party', 'bw_roles'] },
  scopes: ['openid', 'profile', 'bw'],
  // the ID token carries the claims of the granted scopes (bwledger reads party and roles from it)
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client) => (machineClaims.has(client.clientId) ? machineResource : undefined),
      useGrantedResource: () => false,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== machineResource) throw new Error(`unknown resource ${resource}`);
        return { scope: 'bw', audience: machineResource, accessTokenFormat: 'jwt', accessTokenTTL: 300 };
      },
    },
  },
  async extraTokenClaims(ctx, token) {
    return token.kind === 'ClientCredentials' ? machineClaims.get(token.clientId) : undefined;
  },
  // a first-party client: consent is asked once per login, by the form below
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`
  + `</head><body><h1>${esc(title)}</h1>${body}</body></html>`;

function readForm(req) {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { raw += chunk; if (raw.length > 10000) req.destroy(); });
    req.on('end', () => resolve(new URLSearchParams(raw)));
    req.on('error', reject);
  });
}

function passwordOk(login, password) {
  if (!Object.hasOwn(users, login)) return false;
  const want = Buffer.from(String(users[login].password));
  const got = Buffer.from(String(password ?? ''));
  return want.length === got.length && timingSafeEqual(want, got);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const { prompt, params, session } = details;
  if (req.method === 'GET' && action === undefined) {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (prompt.name === 'login') {
      res.end(page('Sign-in', `<form method="post" action="/interaction/${esc(uid)}/login">`
        + '<label>Login <input name="login" autocomplete="username"></label>'
        + '<label>Password <input name="password" type="password"></label>'
        + '<button type="submit">Sign-in</button></form>'
        + `<a href="/interaction/${esc(uid)}/abort">Cancel</a>`));
    } else {
      res.end(page('Authorize', `<p>${esc(params.client_id)} asks for ${esc(params.scope)}</p>`
        + `<form method="post" action="/interaction/${esc(uid)}/confirm"><button type="submit">Continue</button></form>`
        + `<a href="/interaction/${esc(uid)}/abort">Cancel</a>`));
    }
    return;
  }
  if (action === 'login' && req.method === 'POST' && prompt.name === 'login') {
    const form = await readForm(req);
    if (!passwordOk(form.get('login'), form.get('password'))) {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Sign-in failed', '<p>Invalid login or password.</p>'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: form.get('login') } },
      { mergeWithLastSubmission: false });
    return;
  }
  if (action === 'confirm' && req.method === 'POST' && prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (action === 'abort') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'aborted' },
      { mergeWithLastSubmission: false });
    return;
  }
  res.statusCode = 400;
  res.end('bad interaction request');
}

const callback = provider.callback();
const server = createServer({ cert: readFileSync(cfg.cert), key: readFileSync(cfg.key) }, (req, res) => {
  const m = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(new URL(req.url, cfg.issuer).pathname);
  if (!m) { callback(req, res); return; }
  interaction(req, res, m[1], m[2]).catch((err) => {
    console.error('interaction error:', err.message);
    if (!res.headersSent) { res.statusCode = 400; res.end(`interaction error: ${err.message}`); }
  });
});
server.listen(cfg.port, '127.0.0.1', () => console.log(`oidc provider listening on ${cfg.issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
}
