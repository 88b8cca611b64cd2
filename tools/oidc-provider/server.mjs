// A real OAuth 2.0 / OpenID Connect server (the npm package oidc-provider) for kubectl-agentcore's tests.
//
//   node server.mjs CONFIG.json
//
// CONFIG (written by internal/oidcserver):
//   host             where to listen (default 127.0.0.1); the port is chosen by the OS
//   trailingSlash    the issuer ends with "/" (like Auth0's) when true
//   accessTokenTTL   seconds an access token lives (default 300)
//   resources        { "<resource indicator>": { "scope": "a b" } }: the APIs tokens can be for; a token's aud is
//                    the indicator, its scope the requested ones the resource knows
//   defaultResource  the resource used when a request names none (like an Okta authorization server's audience)
//   unknownResource  "invalid_target" (oidc-provider's own answer, default) or "auth0": 403 access_denied
//                    "Service not enabled within domain: <aud>", as Auth0 answers an unknown audience
//   requireScope     client ids that must ask for a scope (400 invalid_scope otherwise, as Okta without default scopes)
//   strictAuthMethod a client must authenticate with its registered token_endpoint_auth_method (401 invalid_client
//                    otherwise, as Auth0 and Okta answer); oidc-provider itself accepts basic and post alike
//   clients          oidc-provider client metadata (client_id, client_secret, grant_types, token_endpoint_auth_method,
//                    scope, ...); a client with grant type urn:ietf:params:oauth:grant-type:token-exchange may
//                    exchange tokens
//
// The token request's Auth0-style `audience` parameter is read as the `resource` indicator when no resource is
// given, so one client can be tested against both spellings. The discovery document advertises
// resource_indicators_supported (not a registered metadata name: RFC 8707 defines none).
//
// Token exchange (RFC 8693, grant urn:ietf:params:oauth:grant-type:token-exchange, registered with
// provider.registerGrantType and so advertised in the discovery document's grant_types_supported): the subject token
// (subject_token_type access_token or jwt) must be a JWT this server signed, unexpired, with this issuer (else
// invalid_grant). The issued JWT access token keeps the subject's `sub`, has aud = the requested resource (else
// audience, else defaultResource; unknown: as above), `client_id` = the exchanging client and
// `act: {sub: <that client>}` (nesting the subject's own `act`, RFC 8693 §4.1). Client authentication and the
// strict method apply as for client credentials.
//
// Prints one JSON line {"issuer": "..."} on stdout once it listens, then one line per client-credentials request
// ({"event": "token", "clientId", "authMethod", "resource"}) and per token exchange ({"event": "token-exchange",
// "clientId", "authMethod", "resource", "subject"}); exits on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

// jose is oidc-provider's own JWT library (a dependency of it, pinned by package-lock.json).
import { createLocalJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const resources = cfg.resources ?? {};
const requireScope = new Set(cfg.requireScope ?? []);
const scopes = new Set(Object.values(resources).flatMap((rs) => (rs.scope ?? '').split(' ').filter(Boolean)));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'oidc-provider-test', alg: 'RS256', use: 'sig' };
const publicKeys = createLocalJWKSet({ keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid, alg: jwk.alg, use: jwk.use }] });

// What a token exchange puts into the token it issues, by request (read by extraTokenClaims and the JWT customizer).
const exchanged = new WeakMap();

function clientAuthMethod(ctx) {
  return ctx.headers.authorization !== undefined ? 'client_secret_basic' : 'client_secret_post';
}

function checkAuthMethod(method, client) {
  if (cfg.strictAuthMethod && method !== client.tokenEndpointAuthMethod) {
    const err = new errors.InvalidClient(`client authentication by ${method} is not allowed for this client`);
    err.status = 401;
    err.statusCode = 401;
    throw err;
  }
}

function unknownResource(indicator) {
  if (cfg.unknownResource === 'auth0') {
    const err = new errors.AccessDenied(`Service not enabled within domain: ${indicator}`);
    err.status = 403;
    err.statusCode = 403;
    return err;
  }
  return new errors.InvalidTarget();
}

function resourceServerInfo(indicator, rs) {
  return {
    scope: rs.scope ?? '',
    audience: indicator,
    accessTokenTTL: cfg.accessTokenTTL ?? 300,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

const server = createServer();
await new Promise((resolve) => server.listen(0, cfg.host ?? '127.0.0.1', resolve));
const { address, port } = server.address();
const issuer = `http://${address}:${port}${cfg.trailingSlash ? '/' : ''}`;

const provider = new Provider(issuer, {
  clients: cfg.clients ?? [],
  scopes: [...scopes],
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Auth0 spells the resource `audience`: read it from the form when no resource is given.
      defaultResource: async (ctx) => ctx.oidc.body?.audience ?? cfg.defaultResource,
      useGrantedResource: async () => true,
      // Every client-credentials request passes here (defaultResource always names one), after client
      // authentication: the place to log the method used, to enforce the registered one, and to require a scope.
      getResourceServerInfo: async (ctx, indicator, client) => {
        const method = clientAuthMethod(ctx);
        process.stdout.write(`${JSON.stringify({ event: 'token', clientId: client.clientId, authMethod: method, resource: indicator })}\n`);
        checkAuthMethod(method, client);
        if (requireScope.has(client.clientId) && !ctx.oidc.params.scope) {
          throw new errors.InvalidScope('a scope is required: this client has no default scope');
        }
        const rs = resources[indicator];
        if (!rs) {
          throw unknownResource(indicator);
        }
        return resourceServerInfo(indicator, rs);
      },
    },
  },
  discovery: { resource_indicators_supported: true },
  extraTokenClaims: async (ctx) => (exchanged.has(ctx) ? { act: exchanged.get(ctx).act } : undefined),
  formats: {
    customizers: {
      // A client-credentials token's sub is the client; an exchanged one keeps the subject's.
      jwt: async (ctx, token, jwt) => {
        if (exchanged.has(ctx)) {
          jwt.payload.sub = exchanged.get(ctx).sub;
        }
      },
    },
  },
  ttl: { ClientCredentials: cfg.accessTokenTTL ?? 300 },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
});
provider.proxy = false;

// RFC 8693 token exchange.
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx, next) => {
  const { client, params } = ctx.oidc;
  const method = clientAuthMethod(ctx);
  checkAuthMethod(method, client);
  if (!params.subject_token) {
    throw new errors.InvalidRequest("missing required parameter 'subject_token'");
  }
  if (!params.subject_token_type) {
    throw new errors.InvalidRequest("missing required parameter 'subject_token_type'");
  }
  for (const [name, value] of [['subject_token_type', params.subject_token_type], ['requested_token_type', params.requested_token_type]]) {
    if (value !== undefined && value !== ACCESS_TOKEN_TYPE && value !== JWT_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`unsupported ${name} ${value}: use ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`);
    }
  }
  let subject;
  try {
    ({ payload: subject } = await jwtVerify(params.subject_token, publicKeys, { issuer, algorithms: ['RS256'] }));
  } catch (e) {
    throw new errors.InvalidGrant(`subject_token is invalid: ${e.code ?? 'ERR_JWT_INVALID'} ${e.message}`);
  }
  if (typeof subject.sub !== 'string' || subject.sub === '') {
    throw new errors.InvalidGrant('subject_token has no sub');
  }
  const indicator = params.resource ?? params.audience ?? cfg.defaultResource;
  process.stdout.write(`${JSON.stringify({ event: 'token-exchange', clientId: client.clientId, authMethod: method, resource: indicator, subject: subject.sub })}\n`);
  const rs = resources[indicator];
  if (!indicator || !rs) {
    throw unknownResource(indicator);
  }
  const known = new Set((rs.scope ?? '').split(' ').filter(Boolean));
  const asked = params.scope ? [...new Set(params.scope.split(' '))] : [];
  if (client.scope) {
    const allowed = new Set(client.scope.split(' '));
    const refused = asked.find((sc) => known.has(sc) && !allowed.has(sc));
    if (refused) {
      throw new errors.InvalidScope('requested scope is not allowed', refused);
    }
  }
  const token = new provider.ClientCredentials({ client });
  token.resourceServer = new provider.ResourceServer(indicator, resourceServerInfo(indicator, rs));
  token.scope = asked.filter((sc) => known.has(sc)).join(' ') || undefined;
  exchanged.set(ctx, { sub: subject.sub, act: { sub: client.clientId, ...(subject.act ? { act: subject.act } : {}) } });
  ctx.oidc.entity('ClientCredentials', token);
  const value = await token.save();
  ctx.body = {
    access_token: value,
    issued_token_type: params.requested_token_type ?? ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: token.scope || undefined,
  };
  await next();
}, ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type']);
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
