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
//                    scope, ...)
//
// The token request's Auth0-style `audience` parameter is read as the `resource` indicator when no resource is
// given, so one client can be tested against both spellings. The discovery document advertises
// resource_indicators_supported (not a registered metadata name: RFC 8707 defines none).
//
// Prints one JSON line {"issuer": "..."} on stdout once it listens, then one line per client-credentials request
// ({"event": "token", "clientId", "authMethod", "resource"}); exits on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const resources = cfg.resources ?? {};
const requireScope = new Set(cfg.requireScope ?? []);
const scopes = new Set(Object.values(resources).flatMap((rs) => (rs.scope ?? '').split(' ').filter(Boolean)));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'oidc-provider-test', alg: 'RS256', use: 'sig' };

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
        const method = ctx.headers.authorization !== undefined ? 'client_secret_basic' : 'client_secret_post';
        process.stdout.write(`${JSON.stringify({ event: 'token', clientId: client.clientId, authMethod: method, resource: indicator })}\n`);
        if (cfg.strictAuthMethod && method !== client.tokenEndpointAuthMethod) {
          const err = new errors.InvalidClient(`client authentication by ${method} is not allowed for this client`);
          err.status = 401;
          err.statusCode = 401;
          throw err;
        }
        if (requireScope.has(client.clientId) && !ctx.oidc.params.scope) {
          throw new errors.InvalidScope('a scope is required: this client has no default scope');
        }
        const rs = resources[indicator];
        if (!rs) {
          if (cfg.unknownResource === 'auth0') {
            const err = new errors.AccessDenied(`Service not enabled within domain: ${indicator}`);
            err.status = 403;
            err.statusCode = 403;
            throw err;
          }
          throw new errors.InvalidTarget();
        }
        return {
          scope: rs.scope ?? '',
          audience: indicator,
          accessTokenTTL: cfg.accessTokenTTL ?? 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  discovery: { resource_indicators_supported: true },
  ttl: { ClientCredentials: cfg.accessTokenTTL ?? 300 },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
});
provider.proxy = false;
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
