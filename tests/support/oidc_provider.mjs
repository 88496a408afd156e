// A real OpenID Connect provider (panva's oidc-provider) on 127.0.0.1, for the sign-in tests.
// Interactions complete by themselves, so tests can follow redirects without filling in forms.
//
//   node oidc_provider.mjs [--port N]       (or OIDC_PORT; 0, the default, picks a free port)
//
// Environment:
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   the one confidential client
//   OIDC_REDIRECT_URIS                   its redirect URIs, separated by spaces
//   OIDC_ACCOUNTS                        JSON: {"<account id>": {"email", "email_verified", "name"}}
//   OIDC_DEFAULT_ACCOUNT                 who signs in when the request has no login_hint (first account otherwise)
//
// The authorization request's login_hint names the account that "signs in". An unknown login_hint is
// answered with access_denied, as when a person cancels at the provider.
// Prints "READY <issuer>" on stdout when listening. Exits on SIGTERM/SIGINT or when stdin closes, so a
// crashed test run leaves no provider behind. Makes no network requests of its own.
import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({ options: { port: { type: 'string' } }, strict: false });
const port = Number(args.port ?? process.env.OIDC_PORT ?? 0);
const clientId = process.env.OIDC_CLIENT_ID || 'candor';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'candor-test-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS || 'http://127.0.0.1:5000/auth/oidc/oidc/callback')
  .split(/\s+/).filter(Boolean);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS
  || '{"alice": {"email": "alice@example.com", "email_verified": true, "name": "Alice Example"}}');
const defaultAccount = process.env.OIDC_DEFAULT_ACCOUNT || Object.keys(accounts)[0];

function account(id) {
  const profile = accounts[id];
  if (!profile) return undefined;
  return {
    accountId: id,
    // Which of these reach the ID token or the userinfo response is the provider's decision (scopes, claims config).
    async claims() {
      return { sub: id, email: profile.email, email_verified: profile.email_verified === true, name: profile.name };
    },
  };
}

function scopeGrant(provider, accountId, forClient, scope, claims = []) {
  const grant = new provider.Grant({ accountId, clientId: forClient });
  grant.addOIDCScope(scope);
  if (claims.length) grant.addOIDCClaims(claims);
  return grant;
}

let provider;

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction uid mismatch');
  const { prompt, params } = details;
  if (prompt.name === 'login') {
    const hint = params.login_hint || defaultAccount;
    if (!accounts[hint]) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The person did not sign in.',
      }, { mergeWithLastSubmission: false });
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: hint } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'consent') {
    // Normally unreachable (loadExistingGrant grants everything), kept so a changed policy still completes.
    const grant = scopeGrant(provider, details.session.accountId, params.client_id, params.scope,
      prompt.details.missingOIDCClaims || []);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  throw new Error(`unexpected prompt ${prompt.name}`);
}

const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) {
    provider.callback()(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1]);
  } catch (err) {
    res.statusCode = 400;
    res.setHeader('Content-Type', 'text/plain');
    res.end(`interaction failed: ${err.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  // A fresh signing key per run, rather than the library's well-known development key.
  const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(_ctx, id) {
      return account(id);
    },
    // A first-party client: the person is never asked to consent, everything requested is granted.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = scopeGrant(ctx.oidc.provider, ctx.oidc.session.accountId, ctx.oidc.client.clientId,
        ctx.oidc.params.scope, ['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    features: { devInteractions: { enabled: false } },
  });
  process.stdout.write(`READY ${issuer}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
