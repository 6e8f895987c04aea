import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { METHOD_OVERRIDE_HEADERS } from '../../src/decision/request/method-override.js';
import { TRACE_CONTEXT_HEADERS } from '../../src/decision/decision-tracing.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';
import { containerEnv, type HandMadeSecrets } from '../support/kubernetes/pod-env.js';
import { find, kustomize, OVERLAYS } from '../support/kubernetes/render.js';
import { validateManifests } from '../support/kubernetes/validate-manifests.js';
import { REPO } from '../support/processes.js';
import { loadStrictSchema } from '../support/strict-schema.js';

const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, kustomize(`deploy/overlays/${overlay}`)]));
const copy = <T>(value: T): T => structuredClone(value);
/** What the operator creates before applying an overlay (kubectl create secret, as the docs say). */
const REDIS_SECRET: HandMadeSecrets = {
  'authgear-gate-redis': { password: 'k9Vt0pQ2xR7mB4nL8sW1yZ6cF3hJ5dG0aE2iU9oT4qM=', 'hmac-secret': 'Xq3rT8wZ1vB6nM4kL9pS2dF7gH0jC5aY8eU1iO6tR3w=' },
};
const container = (objects: ReturnType<typeof kustomize>) => find(objects, 'Deployment', 'authgear-gate').spec.template.spec.containers[0];

it('ships an overlay for each gateway family', () => {
  expect(OVERLAYS.sort()).toEqual(['envoy-gateway', 'gateway-api', 'ingress-nginx', 'istio', 'traefik', 'traefik-gateway-api']);
});

/** Who may ask the sidecar in each overlay, and on which container port. */
const GATEWAY_PODS: Record<string, { namespace: string; labels: Record<string, string>; port: string }> = {
  'ingress-nginx': { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, port: 'http' },
  traefik: { namespace: 'traefik', labels: { 'app.kubernetes.io/name': 'traefik' }, port: 'http' },
  'traefik-gateway-api': { namespace: 'traefik', labels: { 'app.kubernetes.io/name': 'traefik' }, port: 'http' },
  'envoy-gateway': { namespace: 'envoy-gateway-system', labels: { 'app.kubernetes.io/name': 'envoy', 'app.kubernetes.io/component': 'proxy' }, port: 'ext-authz' },
  istio: { namespace: 'istio-system', labels: { istio: 'ingressgateway' }, port: 'ext-authz-grpc' },
  'gateway-api': { namespace: 'gateway-system', labels: { 'gateway.networking.k8s.io/gateway-name': 'my-gateway' }, port: 'ext-authz' },
};

describe.each(OVERLAYS)('kubectl kustomize deploy/overlays/%s', (overlay) => {
  const objects = rendered[overlay]!;
  const gate = find(objects, 'Deployment', 'authgear-gate');
  const pod = gate.spec.template.spec;
  const container = pod.containers[0];

  it('renders objects that all validate against their schemas, unknown fields included', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(validateManifests(objects)).toEqual([]);
  });

  it('runs 2+ replicas, spread over nodes, kept by a PodDisruptionBudget and scaled by an HPA', () => {
    expect(gate.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(pod.topologySpreadConstraints.map((constraint: { topologyKey: string }) => constraint.topologyKey)).toContain('kubernetes.io/hostname');
    const pdb = find(objects, 'PodDisruptionBudget', 'authgear-gate');
    expect(pdb.spec.selector.matchLabels).toEqual(gate.spec.selector.matchLabels);
    // maxUnavailable scales with the HPA; a drain still leaves at least one replica answering.
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.minAvailable).toBeUndefined();
    expect(gate.spec.replicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'authgear-gate');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: gate.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.minReplicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
  });

  it('probes readiness on /readyz and liveness on /healthz, with resources set', () => {
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  it.each(['authgear-gate', 'authgear-gate-redis'])('runs %s non-root, read-only, without privileges', (name) => {
    const spec = find(objects, 'Deployment', name).spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(spec.automountServiceAccountToken).toBe(false);
    for (const each of spec.containers) {
      expect(each.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    }
  });

  it('exposes the ports the Service, probes and ServiceMonitor name', () => {
    const service = find(objects, 'Service', 'authgear-gate');
    expect(service.spec.selector).toEqual(gate.spec.selector.matchLabels);
    const containerPorts = container.ports.map((port: { name: string }) => port.name);
    for (const port of service.spec.ports) expect(containerPorts).toContain(port.targetPort);
    const monitor = find(objects, 'ServiceMonitor', 'authgear-gate');
    expect(monitor.spec.selector.matchLabels).toMatchObject(service.metadata.labels ? { 'app.kubernetes.io/name': service.metadata.labels['app.kubernetes.io/name'] } : {});
    expect(service.spec.ports.map((port: { name: string }) => port.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
  });

  it("is picked up by a default kube-prometheus-stack: ServiceMonitor and PrometheusRule carry its release label", () => {
    // The chart's default serviceMonitorSelector and ruleSelector match release: <Helm release>.
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      expect(find(objects, kind, 'authgear-gate').metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    }
  });

  it('lets only the gateway reach its port, and only the sidecar reach Redis', () => {
    const policy = find(objects, 'NetworkPolicy', 'authgear-gate');
    expect(policy.spec.podSelector.matchLabels).toEqual(gate.spec.selector.matchLabels);
    const { namespace, labels, port } = GATEWAY_PODS[overlay]!;
    const containerPorts = container.ports.map((each: { name: string }) => each.name);
    expect(containerPorts).toContain(port);
    const toGateway = policy.spec.ingress.filter((rule: { ports: Array<{ port: string }> }) => rule.ports.some((each) => each.port === port));
    expect(toGateway).toHaveLength(1);
    expect(toGateway[0].ports.map((each: { port: string }) => each.port)).toEqual([port]);
    expect(toGateway[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: labels } }]);
    // No other rule opens a port to anyone but Prometheus.
    for (const rule of policy.spec.ingress) if (rule !== toGateway[0]) expect(rule.ports.map((each: { port: string }) => each.port)).toEqual(['metrics']);
    const redisPolicy = find(objects, 'NetworkPolicy', 'authgear-gate-redis');
    expect(redisPolicy.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: gate.spec.selector.matchLabels } }]);
  });

  it('carries settings the sidecar accepts (its own --check-config)', () => {
    const env = containerEnv(objects, container, REDIS_SECRET);
    expect(env.REDIS_URL).toMatch(new RegExp(`^redis://${find(objects, 'Service', 'authgear-gate-redis').metadata.name}:6379`));
    const output = execFileSync(process.execPath, [join(REPO, 'dist/server.js'), '--check-config'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    expect(output).toContain('configuration is valid');
    expect(output).not.toContain(REDIS_SECRET['authgear-gate-redis']!.password);
    expect(output).not.toContain(REDIS_SECRET['authgear-gate-redis']!['hmac-secret']);
  });

  it('starts neither Redis nor the sidecar until the operator made the Redis Secret, and ships no credential', () => {
    const redis = find(objects, 'Deployment', 'authgear-gate-redis').spec.template.spec.containers[0];
    expect(() => containerEnv(objects, container)).toThrow(/REDIS_PASSWORD: Secret authgear-gate-redis has no key password/);
    expect(() => containerEnv(objects, redis)).toThrow(/Secret authgear-gate-redis has no key password/);
    expect(objects.filter((object) => object.kind === 'Secret').map((object) => object.metadata.name)).toEqual(['authgear-gate']);
    expect(find(objects, 'Secret', 'authgear-gate').stringData ?? {}).toEqual({});
  });

  it('wires the sidecar to the bundled Redis with the ACL user, its password and the signing secret from that Secret', () => {
    const redis = find(objects, 'Deployment', 'authgear-gate-redis').spec.template.spec.containers[0];
    const byName = (env: Array<{ name: string }>): Record<string, any> => Object.fromEntries(env.map((variable) => [variable.name, variable]));
    const sidecar = byName(container.env);
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: 'authgear-gate-redis', key } } });
    expect(sidecar.REDIS_PASSWORD).toEqual({ name: 'REDIS_PASSWORD', ...fromSecret('password') });
    expect(sidecar.REDIS_HMAC_SECRET).toEqual({ name: 'REDIS_HMAC_SECRET', ...fromSecret('hmac-secret') });
    expect(sidecar.REDIS_USERNAME).toEqual({ name: 'REDIS_USERNAME', value: 'authgear-gate' });
    // Redis checks the very password the sidecar sends, and never sees the signing secret.
    expect(byName(redis.env).REDIS_PASSWORD).toEqual(sidecar.REDIS_PASSWORD);
    expect(JSON.stringify(redis)).not.toContain('hmac-secret');
    expect(redis.command.join(' ')).toContain('user default off');
    expect(redis.readinessProbe.exec.command).toEqual(['redis-cli', '--user', sidecar.REDIS_USERNAME.value, 'ping']);
    // The component's instructions make exactly the Secret and keys the pods reference.
    const instructions = readFileSync(join(REPO, 'deploy/redis/kustomization.yaml'), 'utf8');
    expect(instructions).toContain('create secret generic authgear-gate-redis');
    for (const key of ['password', 'hmac-secret']) expect(instructions).toContain(`--from-literal=${key}="$(openssl rand -base64 32)"`);
  });
});

describe('the gateway wiring', () => {
  const serviceUrl = 'http://authgear-gate.authgear-gate.svc.cluster.local:8080/auth';

  it('ingress-nginx asks the sidecar, copies every identity header and sends the original request', () => {
    const objects = rendered['ingress-nginx']!;
    const annotations = find(objects, 'Ingress', 'my-app').metadata.annotations;
    expect(annotations['nginx.ingress.kubernetes.io/auth-url']).toBe(serviceUrl);
    const responseHeaders = annotations['nginx.ingress.kubernetes.io/auth-response-headers'].split(',').map((name: string) => name.toLowerCase());
    // Every identity header, and the ID token header (absent from the answer, so removed).
    expect([...responseHeaders].sort()).toEqual([...IDENTITY_HEADER_NAMES, 'x-authgear-id-token'].sort());
    // The original request is ingress-nginx's own X-Original-URL and X-Original-Method, read
    // in nginx mode: no auth-proxy-set-headers (rated Medium risk) to keep in step.
    expect(Object.keys(annotations).filter((key) => key.includes('auth-proxy-set-headers') || key.includes('snippet'))).toEqual([]);
    expect(find(objects, 'ConfigMap', container(objects).envFrom.find((source: { configMapRef?: unknown }) => source.configMapRef).configMapRef.name).data.GATEWAY).toBe('nginx');
    // test/fixtures/ingress-nginx-auth-url.conf, run by test/gateways/ingress-nginx.test.ts with real
    // nginx, is what ingress-nginx generates for these annotations.
    const fixture = readFileSync(join(REPO, 'test/fixtures/ingress-nginx-auth-url.conf'), 'utf8');
    expect(fixture).toContain(`proxy_pass http://authgear_gate${new URL(annotations['nginx.ingress.kubernetes.io/auth-url']).pathname};`);
    expect([...fixture.matchAll(/proxy_set_header '([^']+)' \$authHeader\d+;/g)].map((match) => match[1]!.toLowerCase())).toEqual(responseHeaders);
  });

  it('Traefik clears X-Original-* before ForwardAuth to the sidecar, on the routes that check', () => {
    const objects = rendered.traefik!;
    expect(find(objects, 'Middleware', 'authgear-gate').spec.forwardAuth.address).toBe(serviceUrl);
    const names = objects.filter((object) => object.kind === 'Middleware').map((object) => `${object.metadata.namespace}/${object.metadata.name}`);
    const forwardAuth = objects.filter((object) => object.kind === 'Middleware' && (object as { spec?: { forwardAuth?: unknown } }).spec?.forwardAuth).map((object) => object.metadata.name);
    expect(forwardAuth.sort()).toEqual(['authgear-gate', 'authgear-gate-admin', 'authgear-gate-public', 'authgear-gate-recent-login']);
    const route = find(objects, 'IngressRoute', 'my-app');
    // Every route, public ones included, asks the sidecar (it alone sees forged header
    // spellings and ambiguous paths), right after X-Original-* are cleared.
    for (const each of route.spec.routes) {
      const used: string[] = each.middlewares.map((middleware: { name: string }) => middleware.name);
      for (const name of used) expect(names).toContain(`${route.metadata.namespace}/${name}`);
      const checks = used.findIndex((name) => forwardAuth.includes(name));
      expect(checks, each.match).toBeGreaterThan(0);
      expect(used[checks - 1]).toBe('authgear-gate-clear-original');
    }
    // The app gets no client routing header either: all but X-Forwarded-Host, which Traefik's
    // entry point sets from the judged Host, are emptied (removed).
    const cleared = find(objects, 'Middleware', 'authgear-gate-clear-original').spec.headers.customRequestHeaders;
    for (const name of ROUTING_HEADERS.filter((header) => header !== 'x-forwarded-host')) {
      const key = Object.keys(cleared).find((each) => each.toLowerCase() === name);
      expect([key !== undefined, key && cleared[key]], name).toEqual([true, '']);
    }
  });

  it('ingress-nginx: the overlay ships the ConfigMap that removes a client\'s routing headers, as the fixture reproduces it', () => {
    const headers = find(rendered['ingress-nginx']!, 'ConfigMap', 'authgear-gate-proxy-headers');
    expect(headers.metadata.namespace).toBe('ingress-nginx');
    expect(Object.keys(headers.data).map((name) => name.toLowerCase()).sort()).toEqual(ROUTING_HEADERS.filter((header) => header !== 'x-forwarded-host').sort());
    expect(Object.values(headers.data).every((value) => value === '')).toBe(true);
    const fixture = readFileSync(join(REPO, 'test/fixtures/ingress-nginx-auth-url.conf'), 'utf8');
    for (const name of Object.keys(headers.data)) expect(fixture).toContain(`proxy_set_header ${name} "";`);
  });
});

describe('the ext_authz and Gateway API wiring', () => {
  const identity = [...IDENTITY_HEADER_NAMES].sort();
  const lower = (names: string[]) => names.map((name) => name.toLowerCase()).sort();
  // What the decision reads besides Authorization, which Envoy and GEP-1494 always send.
  const READ_HEADERS = ['accept', 'access-control-request-method', 'cookie', 'x-authgear-id-token', 'x-forwarded-proto', 'x-request-id', ...METHOD_OVERRIDE_HEADERS, ...TRACE_CONTEXT_HEADERS].sort();
  /** The names an HTTPRoute's RequestHeaderModifier filters remove from every request of the route. */
  const removedByRoute = (route: any) => lower(route.spec.rules.flatMap((rule: any) => (rule.filters ?? []).filter((filter: any) => filter.type === 'RequestHeaderModifier').flatMap((filter: any) => filter.requestHeaderModifier.remove ?? [])));
  const env = (objects: any[]) => {
    const gate = find(objects, 'Deployment', 'authgear-gate');
    const name = gate.spec.template.spec.containers[0].envFrom.find((source: { configMapRef?: unknown }) => source.configMapRef).configMapRef.name;
    return find(objects, 'ConfigMap', name).data;
  };
  /** The Service port a backendRef reaches, and the container port behind it. */
  const backend = (objects: any[], ref: { name: string; namespace?: string; port: number }) => {
    const service = find(objects, 'Service', ref.name);
    expect(service.metadata.namespace).toBe(ref.namespace);
    const port = service.spec.ports.find((each: { port: number }) => each.port === ref.port);
    expect(port, `Service port ${ref.port}`).toBeDefined();
    const container = find(objects, 'Deployment', ref.name).spec.template.spec.containers[0];
    return { service: port, container: container.ports.find((each: { name: string }) => each.name === port.targetPort) };
  };
  const granted = (objects: any[], from: { group: string; kind: string; namespace: string }, service: string) =>
    objects.some((object: any) => object.kind === 'ReferenceGrant' && object.metadata.namespace === 'authgear-gate'
      && object.spec.from.some((each: any) => each.group === from.group && each.kind === from.kind && each.namespace === from.namespace)
      && object.spec.to.some((each: any) => each.group === '' && each.kind === 'Service' && (each.name ?? service) === service));

  it('Envoy Gateway: the SecurityPolicy asks the ext_authz HTTP port, sends what the decision reads, copies every identity header, fails closed', () => {
    const objects = rendered['envoy-gateway']!;
    const policy = find(objects, 'SecurityPolicy', 'authgear-gate');
    const route = find(objects, 'HTTPRoute', 'my-app');
    expect(policy.metadata.namespace).toBe(route.metadata.namespace);
    expect(policy.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name }]);
    const { extAuth } = policy.spec;
    expect(extAuth.failOpen).toBe(false);
    const [ref] = extAuth.http.backendRefs;
    const { container } = backend(objects, ref);
    expect(container.name).toBe('ext-authz');
    expect(env(objects).EXT_AUTHZ_PORT).toBe(String(container.containerPort));
    expect(lower(extAuth.headersToExtAuth)).toEqual(READ_HEADERS);
    expect(lower(extAuth.http.headersToBackend)).toEqual(identity);
    expect(extAuth.http.path ?? '').toBe('');
    expect(granted(objects, { group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: policy.metadata.namespace }, ref.name)).toBe(true);
    // Envoy sets no X-Forwarded-Host of its own: the route removes every routing header.
    expect(removedByRoute(route)).toEqual(lower([...ROUTING_HEADERS]));
  });

  it('Istio: a CUSTOM AuthorizationPolicy names the mesh provider, which reaches the gRPC port and fails closed', () => {
    const objects = rendered.istio!;
    const values = parse(readFileSync(join(REPO, 'deploy/overlays/istio/istiod-values.yaml'), 'utf8'));
    expect(loadStrictSchema('istiod-mesh-config.yaml')(values)).toEqual([]);
    const policy = find(objects, 'AuthorizationPolicy', 'authgear-gate');
    expect(policy.spec.action).toBe('CUSTOM');
    const provider = values.meshConfig.extensionProviders.find((each: { name: string }) => each.name === policy.spec.provider.name);
    const grpc = provider.envoyExtAuthzGrpc;
    expect(grpc).toMatchObject({ failOpen: false, statusOnError: '503' });
    const [name, namespace] = grpc.service.split('.');
    const { service, container } = backend(objects, { name, namespace, port: grpc.port });
    expect(service.appProtocol).toBe('grpc');
    expect(service.name).toMatch(/^grpc-/);
    expect(container.name).toBe('ext-authz-grpc');
    expect(env(objects).EXT_AUTHZ_GRPC_PORT).toBe(String(container.containerPort));
    expect(policy.spec.selector.matchLabels).toEqual(GATEWAY_PODS.istio!.labels);
  });

  it('Traefik through Gateway API: the HTTPRoute runs a ForwardAuth Middleware of its namespace that takes every X-Authgear-* from the sidecar', () => {
    const objects = rendered['traefik-gateway-api']!;
    const route = find(objects, 'HTTPRoute', 'my-app');
    const refs = route.spec.rules.flatMap((rule: any) => rule.filters ?? []).filter((filter: any) => filter.type === 'ExtensionRef');
    expect(refs.length).toBeGreaterThan(0);
    for (const { extensionRef } of refs) {
      expect(extensionRef).toMatchObject({ group: 'traefik.io', kind: 'Middleware' });
      const middleware = find(objects, 'Middleware', extensionRef.name);
      expect(middleware.metadata.namespace).toBe(route.metadata.namespace);
      expect(middleware.spec.forwardAuth.address).toBe('http://authgear-gate.authgear-gate.svc.cluster.local:8080/auth');
      const regex = new RegExp(middleware.spec.forwardAuth.authResponseHeadersRegex, 'i');
      for (const header of IDENTITY_HEADER_NAMES) expect(regex.test(header), header).toBe(true);
      expect(regex.test('x-forwarded-user')).toBe(false);
    }
    expect(env(objects).GATEWAY).toBe('forward-auth');
    // Traefik's entry point replaces X-Forwarded-Host and drops the client's X-Forwarded-*;
    // the route removes the rest. Removing X-Forwarded-Host would drop Traefik's own.
    expect(removedByRoute(route)).toEqual(lower(['forwarded', 'x-original-url', 'x-original-uri', 'x-rewrite-url']));
  });

  it('the ExternalAuth filter (GEP-1494) asks the ext_authz HTTP port and copies every identity header', () => {
    const objects = rendered['gateway-api']!;
    const route = find(objects, 'HTTPRoute', 'my-app');
    const filters = route.spec.rules.flatMap((rule: any) => rule.filters ?? []).filter((filter: any) => filter.type === 'ExternalAuth');
    expect(filters).toHaveLength(route.spec.rules.length);
    for (const { externalAuth } of filters) {
      expect(externalAuth.protocol).toBe('HTTP');
      const { container } = backend(objects, externalAuth.backendRef);
      expect(container.name).toBe('ext-authz');
      expect(env(objects).EXT_AUTHZ_PORT).toBe(String(container.containerPort));
      expect(externalAuth.http.path ?? '').toBe('');
      expect(lower(externalAuth.http.allowedHeaders)).toEqual(READ_HEADERS);
      expect(lower(externalAuth.http.allowedResponseHeaders)).toEqual(identity);
    }
    expect(granted(objects, { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: route.metadata.namespace }, 'authgear-gate')).toBe(true);
    // nginx-based implementations (NGINX Gateway Fabric) ignore x-envoy-auth-headers-to-remove.
    expect(removedByRoute(route)).toEqual(lower([...ROUTING_HEADERS]));
  });
});

describe('the offline validator', () => {
  const objects = rendered['ingress-nginx']!.concat(
    rendered.traefik!.filter((object) => object.apiVersion.startsWith('traefik')),
    ...['envoy-gateway', 'istio'].map((overlay) => rendered[overlay]!.filter((object) => !['v1', 'apps/v1', 'policy/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'monitoring.coreos.com/v1'].includes(object.apiVersion))),
    // Each overlay's HTTPRoute is my-app: tell them apart by the filter they show.
    ...[['traefik-gateway-api', 'extension-ref'], ['gateway-api', 'external-auth']].map(([overlay, name]) =>
      rendered[overlay!]!.filter((object) => object.kind === 'HTTPRoute').map((object) => ({ ...object, metadata: { ...object.metadata, name: name! } }))),
  );
  const broken = (kind: string, name: string, breakIt: (object: any) => void) => {
    const object = copy(find(objects, kind, name));
    breakIt(object);
    return validateManifests([object]).join('\n');
  };

  it.each([
    ['replica: 2', 'Deployment', 'authgear-gate', (o: any) => { o.spec.replica = o.spec.replicas; delete o.spec.replicas; }, /'replica' does not exist/],
    ['readinessProbe.httpGett', 'Deployment', 'authgear-gate', (o: any) => { const c = o.spec.template.spec.containers[0]; c.readinessProbe.httpGett = c.readinessProbe.httpGet; delete c.readinessProbe.httpGet; }, /'httpGett' does not exist/],
    ['securityContext.readOnlyRootFileSystem', 'Deployment', 'authgear-gate', (o: any) => { o.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true; }, /'readOnlyRootFileSystem' does not exist/],
    ['replicas: "2"', 'Deployment', 'authgear-gate', (o: any) => { o.spec.replicas = '2'; }, /replicas must be integer/],
    ['a container without name', 'Deployment', 'authgear-gate', (o: any) => { delete o.spec.template.spec.containers[0].name; }, /required property 'name'|name/],
    ['metadata.label', 'Service', 'authgear-gate', (o: any) => { o.metadata.label = o.metadata.labels; }, /'label' does not exist/],
    ['Ingress backend.serviceName', 'Ingress', 'my-app', (o: any) => { o.spec.rules[0].http.paths[0].backend.serviceName = 'x'; }, /'serviceName' does not exist/],
    ['forwardAuth.adress', 'Middleware', 'authgear-gate', (o: any) => { o.spec.forwardAuth.adress = o.spec.forwardAuth.address; }, /unknown field "adress"/],
    ['forwardAuth.authResponseHeaders as a string', 'Middleware', 'authgear-gate', (o: any) => { o.spec.forwardAuth.authResponseHeaders = 'X-Authgear-User-Id'; }, /authResponseHeaders: must be array/],
    ['IngressRoute route.middleware', 'IngressRoute', 'my-app', (o: any) => { o.spec.routes[0].middleware = o.spec.routes[0].middlewares; }, /unknown field "middleware"/],
    ['IngressRoute without match', 'IngressRoute', 'my-app', (o: any) => { delete o.spec.routes[0].match; }, /required property 'match'/],
    ['ServiceMonitor endpoint.intervall', 'ServiceMonitor', 'authgear-gate', (o: any) => { o.spec.endpoints[0].intervall = '30s'; }, /unknown field "intervall"/],
    ['ServiceMonitor interval "30 seconds"', 'ServiceMonitor', 'authgear-gate', (o: any) => { o.spec.endpoints[0].interval = '30 seconds'; }, /interval: must match pattern/],
    ['PrometheusRule rule.alertname', 'PrometheusRule', 'authgear-gate', (o: any) => { o.spec.groups[0].rules[0].alertname = o.spec.groups[0].rules[0].alert; }, /unknown field "alertname"/],
    ['PrometheusRule for "5 minutes"', 'PrometheusRule', 'authgear-gate', (o: any) => { o.spec.groups[0].rules[0].for = '5 minutes'; }, /for: must match pattern/],
    ['PrometheusRule group without name', 'PrometheusRule', 'authgear-gate', (o: any) => { delete o.spec.groups[0].name; }, /required property 'name'/],
    ['PrometheusRule rule without expr', 'PrometheusRule', 'authgear-gate', (o: any) => { delete o.spec.groups[0].rules[0].expr; }, /required property 'expr'/],
    ['PrometheusRule annotation that is not a string', 'PrometheusRule', 'authgear-gate', (o: any) => { o.spec.groups[0].rules[0].annotations.summary = { text: 'x' }; }, /summary: must be string/],
    ['custom resource metadata.nmae', 'Middleware', 'authgear-gate', (o: any) => { o.metadata.nmae = 'x'; }, /'nmae' does not exist/],
    ['a kind it has no schema for', 'Deployment', 'authgear-gate', (o: any) => { o.kind = 'StatefulSet'; }, /no schema for apps\/v1\/StatefulSet/],
    ['SecurityPolicy extAuth.http.headersToBackends', 'SecurityPolicy', 'authgear-gate', (o: any) => { o.spec.extAuth.http.headersToBackends = o.spec.extAuth.http.headersToBackend; }, /unknown field "headersToBackends"/],
    ['SecurityPolicy extAuth.failOpen: "false"', 'SecurityPolicy', 'authgear-gate', (o: any) => { o.spec.extAuth.failOpen = 'false'; }, /failOpen: must be boolean/],
    ['SecurityPolicy extAuth with both grpc and http', 'SecurityPolicy', 'authgear-gate', (o: any) => { o.spec.extAuth.grpc = { backendRefs: o.spec.extAuth.http.backendRefs }; }, /must match exactly one schema in oneOf/],
    ['SecurityPolicy targetRef.nmae', 'SecurityPolicy', 'authgear-gate', (o: any) => { o.spec.targetRefs[0].nmae = 'x'; }, /unknown field "nmae"/],
    ['SecurityPolicy extAuth.timeout: 2 seconds', 'SecurityPolicy', 'authgear-gate', (o: any) => { o.spec.extAuth.timeout = '2 seconds'; }, /timeout: must match pattern/],
    ['AuthorizationPolicy action: CUSTOMER', 'AuthorizationPolicy', 'authgear-gate', (o: any) => { o.spec.action = 'CUSTOMER'; }, /action must be equal to one of the allowed values/],
    ['AuthorizationPolicy provider.nmae', 'AuthorizationPolicy', 'authgear-gate', (o: any) => { o.spec.provider.nmae = o.spec.provider.name; }, /'nmae' does not exist/],
    ['ReferenceGrant spec.form', 'ReferenceGrant', 'authgear-gate-from-envoy-gateway', (o: any) => { o.spec.form = o.spec.from; }, /'form' does not exist/],
    ['HTTPRoute filter extensionRef.knd', 'HTTPRoute', 'extension-ref', (o: any) => { o.spec.rules[0].filters[0].extensionRef.knd = 'Middleware'; }, /'knd' does not exist/],
    ['HTTPRoute filter type ExternalAuthz', 'HTTPRoute', 'external-auth', (o: any) => { o.spec.rules[0].filters[0].type = 'ExternalAuthz'; }, /type must be equal to one of the allowed values/],
    ['HTTPRoute externalAuth.backendref', 'HTTPRoute', 'external-auth', (o: any) => { const f = o.spec.rules[0].filters[0].externalAuth; f.backendref = f.backendRef; delete f.backendRef; }, /'backendref' does not exist|required property 'backendRef'/],
    ['HTTPRoute externalAuth.protocol: HTTPS', 'HTTPRoute', 'external-auth', (o: any) => { o.spec.rules[0].filters[0].externalAuth.protocol = 'HTTPS'; }, /protocol must be equal to one of the allowed values/],
    ['HTTPRoute externalAuth.http.allowedResponseHeader', 'HTTPRoute', 'external-auth', (o: any) => { const h = o.spec.rules[0].filters[0].externalAuth.http; h.allowedResponseHeader = h.allowedResponseHeaders; }, /'allowedResponseHeader' does not exist/],
    ['an ExternalAuth filter without externalAuth', 'HTTPRoute', 'external-auth', (o: any) => { const f = o.spec.rules[0].filters[0]; f.extensionRef = { group: 'x', kind: 'y', name: 'z' }; delete f.externalAuth; }, /must have externalAuth and no other field/],
  ])('rejects %s', (_name, kind, name, breakIt, problem) => {
    expect(broken(kind, name, breakIt)).toMatch(problem);
  });

  it.each([
    ['envoyExtAuthzGRPC', (v: any) => { const p = v.meshConfig.extensionProviders[0]; p.envoyExtAuthzGRPC = p.envoyExtAuthzGrpc; delete p.envoyExtAuthzGrpc; }, /unknown field "envoyExtAuthzGRPC"/],
    ['failOpen: "false"', (v: any) => { v.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.failOpen = 'false'; }, /failOpen: must be boolean/],
    ['statusOnError: 503 (a number)', (v: any) => { v.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.statusOnError = 503; }, /statusOnError: must be string/],
    ['a provider without service', (v: any) => { delete v.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.service; }, /required property 'service'/],
    ['timeout: 2 (no unit)', (v: any) => { v.meshConfig.extensionProviders[0].envoyExtAuthzGrpc.timeout = '2'; }, /timeout: must match pattern/],
  ])('rejects the istiod values with %s', (_name, breakIt, problem) => {
    const values = parse(readFileSync(join(REPO, 'deploy/overlays/istio/istiod-values.yaml'), 'utf8'));
    breakIt(values);
    expect(loadStrictSchema('istiod-mesh-config.yaml')(values).join('\n')).toMatch(problem);
  });
});
