import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';

/**
 * Every kind the shipped manifests may use, and where its schema comes from. A kind missing
 * here is a validation failure, never a skip: add it with its schema.
 */
export interface ModelledKind {
  /** kubernetes-models class: the OpenAPI schema (types, required, formats, enums). */
  model: new (data: never) => { validate(): void };
  /** The TypeScript declaration of the same type, for the unknown-field check: module and type name. */
  types: { module: string; name: string };
}

type Manifest = { spec?: { rules?: Array<{ filters?: Array<Record<string, unknown>> }> } };

/**
 * HTTPRoute of Gateway API's experimental channel: the published model is the standard
 * channel's, whose filter `type` enum lacks ExternalAuth (GEP-1494), though it describes the
 * `externalAuth` field itself. Such a filter is checked as the experimental CRD does (it must
 * carry `externalAuth` and nothing else), and the rest of the route by the standard model.
 */
class ExperimentalHTTPRoute {
  constructor(private readonly data: Manifest) {}
  validate(): void {
    const copy = structuredClone(this.data);
    for (const filter of (copy.spec?.rules ?? []).flatMap((rule) => rule.filters ?? [])) {
      if (filter['type'] !== 'ExternalAuth') continue;
      const fields = Object.keys(filter).filter((key) => key !== 'type');
      if (fields.join() !== 'externalAuth') throw new Error(`an ExternalAuth filter must have externalAuth and no other field, not [${fields.join(', ')}]`);
      filter['type'] = 'RequestHeaderModifier'; // any standard type: only the enum differs
    }
    new HTTPRoute(copy as never).validate();
  }
}

const builtIn = (model: ModelledKind['model'], group: string, kind: string): ModelledKind => ({ model, types: { module: `kubernetes-types/${group}`, name: kind } });

/**
 * Kinds with a published model: Kubernetes' own (kubernetes-models, checked for unknown fields
 * against kubernetes-types) and Gateway API's and Istio's (@kubernetes-models/*, whose
 * interfaces serve the unknown-field check too).
 */
export const MODELLED_KINDS: Record<string, ModelledKind> = {
  'v1/Namespace': builtIn(Namespace, 'core/v1', 'Namespace'),
  'v1/ConfigMap': builtIn(ConfigMap, 'core/v1', 'ConfigMap'),
  'v1/Secret': builtIn(Secret, 'core/v1', 'Secret'),
  'v1/Service': builtIn(Service, 'core/v1', 'Service'),
  'apps/v1/Deployment': builtIn(Deployment, 'apps/v1', 'Deployment'),
  'policy/v1/PodDisruptionBudget': builtIn(PodDisruptionBudget, 'policy/v1', 'PodDisruptionBudget'),
  'autoscaling/v2/HorizontalPodAutoscaler': builtIn(HorizontalPodAutoscaler, 'autoscaling/v2', 'HorizontalPodAutoscaler'),
  'networking.k8s.io/v1/NetworkPolicy': builtIn(NetworkPolicy, 'networking/v1', 'NetworkPolicy'),
  'networking.k8s.io/v1/Ingress': builtIn(Ingress, 'networking/v1', 'Ingress'),
  // Gateway API 1.x, experimental channel included (the ExternalAuth filter of GEP-1494).
  'gateway.networking.k8s.io/v1/HTTPRoute': { model: ExperimentalHTTPRoute, types: { module: '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1', name: 'IHTTPRoute' } },
  'gateway.networking.k8s.io/v1beta1/ReferenceGrant': { model: ReferenceGrant, types: { module: '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1', name: 'IReferenceGrant' } },
  'security.istio.io/v1/AuthorizationPolicy': { model: AuthorizationPolicy, types: { module: '@kubernetes-models/istio/security.istio.io/v1', name: 'IAuthorizationPolicy' } },
};

/**
 * Custom resources without a published model: an openAPIV3Schema in test/schemas/, either a
 * subset vendored from the CRD or, where we may not copy upstream, one written here from the
 * CRD's documented fields (its header says which).
 */
export const CUSTOM_KINDS: Record<string, string> = {
  'traefik.io/v1alpha1/Middleware': 'traefik.io_middlewares.yaml',
  'traefik.io/v1alpha1/IngressRoute': 'traefik.io_ingressroutes.yaml',
  'monitoring.coreos.com/v1/ServiceMonitor': 'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com/v1/PrometheusRule': 'monitoring.coreos.com_prometheusrules.yaml',
  'gateway.envoyproxy.io/v1alpha1/SecurityPolicy': 'envoy-gateway-securitypolicy.yaml',
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export const kindKey = (object: KubeObject) => `${object.apiVersion}/${object.kind}`;
export const describeObject = (object: KubeObject) =>
  `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
