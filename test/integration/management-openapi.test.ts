// The Management API describes itself: /api/openapi.json is an OpenAPI 3.1 document generated from the same
// registry the router serves, so every operation is listed with its scope, parameters and body schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTessera } from '../support/use-tessera.js';
import { operations } from '../../src/management/operations/index.js';
import { managementScopes } from '../../src/tenants/system-tenant.js';

type Json = Record<string, any>;
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('Management API: OpenAPI document', () => {
  const server = useTessera();

  it('is OpenAPI 3.1 and lists every operation of the registry, each exactly once', async () => {
    const response = await fetch(`${server.url}/api/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const document = await response.json() as Json;
    assert.match(document.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof document.info.title, 'string');
    assert.equal(typeof document.info.version, 'string');
    assert.equal(document.servers[0].url, `${server.url}/api`);

    const listed: string[] = [];
    const otpApi: string[] = [];
    const restApi: string[] = [];
    const licensesApi: string[] = [];
    for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
      assert.ok(path.startsWith('/'), path);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      // the backend OTP API lives at the root: its path items name their own server (OpenAPI 3.1 §4.8.9)
      if (path.startsWith('/auth/') || path.startsWith('/licenses/')) assert.deepEqual(item.servers, [{ url: server.url }], path);
      // the REST auth API lives under each tenant's issuer: a server with the tenant as its variable
      if (path.startsWith('/v1/')) assert.equal(item.servers[0].url, `${server.url}/t/{tenant}`, path);
      for (const [method, operation] of Object.entries(item).filter(([key]) => key !== 'servers')) {
        assert.ok(methods.includes(method), `${path}: ${method}`);
        (path.startsWith('/auth/') ? otpApi : path.startsWith('/v1/') ? restApi : path.startsWith('/licenses/') ? licensesApi : listed).push(operation.operationId);
        // OpenAPI 3.1 §4.8.12.1: every templated segment has its path parameter, and responses are required
        const pathParams = operation.parameters.filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
        assert.deepEqual(pathParams.sort(), [...templated].sort(), `${operation.operationId} path parameters`);
        assert.ok(operation.parameters.every((p: Json) => p.in !== 'path' || p.required === true));
        assert.ok(Object.keys(operation.responses).length > 0);
        assert.ok(Object.keys(operation.responses).every((code) => /^([1-5]\d\d|default)$/.test(code)));
        for (const requirement of operation.security) {
          for (const [scheme, scopes] of Object.entries(requirement as Record<string, string[]>)) {
            assert.ok(document.components.securitySchemes[scheme], `${operation.operationId}: scheme ${scheme}`);
            assert.ok(scopes.every((s) => (managementScopes as readonly string[]).includes(s)));
          }
        }
        for (const media of Object.values(operation.requestBody?.content ?? {}) as Json[]) {
          assert.equal(media.schema.$schema, undefined, 'the dialect is the document\'s own (JSON Schema 2020-12)');
          assert.equal(typeof media.schema.type, 'string');
        }
      }
    }
    assert.deepEqual(listed.sort(), operations.map((o) => o.id).sort());
    assert.deepEqual(otpApi.sort(), ['logoutOtpSession', 'otpChallengeSend', 'otpChallengeVerify', 'otpChallengeWebauthnOptions', 'otpMe', 'refreshOtpSession', 'sendOtp', 'verifyOtp']);
    assert.deepEqual(restApi.sort(), [
      'rest2faBackupCodes', 'rest2faCompliance', 'rest2faForgetDevice', 'rest2faPolicy', 'rest2faRemoveMethod', 'rest2faSetPolicy', 'rest2faSmsSetup',
      'rest2faSmsVerify', 'rest2faStatus', 'rest2faStepUp', 'rest2faStepUpVerify', 'rest2faTotpSetup', 'rest2faTotpVerify', 'rest2faTrustedDevices',
      'rest2faWebauthnFinish', 'rest2faWebauthnRegister', 'restAuthorize', 'restChallengeSend', 'restChallengeWebauthnOptions', 'restEffectivePermissions',
      'restEnvironments', 'restFederatedVerify', 'restLogin', 'restLogout', 'restMagicLink', 'restMagicLinkVerify', 'restOtp', 'restOtpVerify', 'restPasskeyOptions', 'restPasskeyVerify', 'restRecoveryInitiate', 'restRecoveryVerify',
      'restRefresh', 'restSignUp', 'restSignUpVerify', 'restSwitchEnvironment', 'restVerifyChallenge', 'restWhoami',
    ]);
    assert.deepEqual(licensesApi.sort(), ['activateLicense', 'deactivateLicense', 'licenseHeartbeat', 'validateLicense']);
    assert.equal(new Set(listed).size, listed.length, 'operationIds are unique');
    for (const operation of operations) {
      const described = document.paths[operation.path]?.[operation.method];
      assert.ok(described, `${operation.method} ${operation.path}`);
      assert.deepEqual(described.security, [{ oauth2: [operation.scope] }]);
    }
    const flow = document.components.securitySchemes.oauth2.flows.clientCredentials;
    assert.equal(flow.tokenUrl, `${server.url}/t/system/token`);
    assert.deepEqual(Object.keys(flow.scopes).sort(), [...managementScopes].sort());
  });

  it('describes bodies and query parameters from the same schemas that validate them', async () => {
    const document = await (await fetch(`${server.url}/api/openapi.json`)).json() as Json;
    const createRole = document.paths['/tenants/{slug}/roles'].post;
    const schema = createRole.requestBody.content['application/json'].schema;
    assert.equal(schema.type, 'object');
    assert.ok(schema.required.includes('name'));
    assert.equal(schema.additionalProperties, false);
    const listRoles = document.paths['/tenants/{slug}/roles'].get;
    const limit = listRoles.parameters.find((p: Json) => p.name === 'limit');
    assert.deepEqual([limit.in, limit.schema.minimum, limit.schema.maximum], ['query', 1, 100]);
    assert.ok(listRoles.parameters.some((p: Json) => p.name === 'cursor'));
  });
});
