import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../src/decision/identity/identity.js';
import { containerEnv, type HandMadeSecrets } from './support/kubernetes/pod-env.js';
import { find, kustomize, OVERLAYS } from './support/kubernetes/render.js';
import { validateManifests } from './support/kubernetes/validate-manifests.js';
import { REPO } from './support/processes.js';

const rendered = Object.fromEntries(OVERLAYS.map((overlay) => [overlay, kustomize(`deploy/overlays/${overlay}`)]));
const copy = <T>(value: T): T => structuredClone(value);
/** What the operator creates before applying an overlay (kubectl create secret, as the docs say). */
const REDIS_SECRET: HandMadeSecrets = {
  'authgear-gate-redis': { password: 'k9Vt0pQ2xR7mB4nL8sW1yZ6cF3hJ5dG0aE2iU9oT4qM=', 'hmac-secret': 'Xq3rT8wZ1vB6nM4kL9pS2dF7gH0jC5aY8eU1iO6tR3w=' },
};
const container = (objects: ReturnType<typeof kustomize>) => find(objects, 'Deployment', 'authgear-gate').spec.template.spec.containers[0];

it('ships an ingress-nginx and a Traefik overlay', () => {
  expect(OVERLAYS.sort()).toEqual(['ingress-nginx', 'traefik']);
});

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

  it('lets only the gateway reach /auth and only the sidecar reach Redis', () => {
    const policy = find(objects, 'NetworkPolicy', 'authgear-gate');
    expect(policy.spec.podSelector.matchLabels).toEqual(gate.spec.selector.matchLabels);
    const toHttp = policy.spec.ingress.filter((rule: { ports: Array<{ port: string }> }) => rule.ports.some((port) => port.port === 'http'));
    expect(toHttp).toHaveLength(1);
    expect(toHttp[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': overlay } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': overlay } },
    }]);
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
    // test/fixtures/ingress-nginx-auth-url.conf, run by test/ingress-nginx.test.ts with real
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
  });
});

describe('the offline validator', () => {
  const objects = rendered['ingress-nginx']!.concat(rendered.traefik!.filter((object) => object.apiVersion.startsWith('traefik')));
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
  ])('rejects %s', (_name, kind, name, breakIt, problem) => {
    expect(broken(kind, name, breakIt)).toMatch(problem);
  });
});
