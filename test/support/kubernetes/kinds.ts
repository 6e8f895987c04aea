import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';

/**
 * Every kind the shipped manifests may use, and where its schema comes from. A kind missing
 * here is a validation failure, never a skip: add it with its schema.
 */
export interface BuiltInKind {
  /** kubernetes-models class: the Kubernetes OpenAPI schema (types, required, formats). */
  model: new (data: never) => { validate(): void };
  /** kubernetes-types module holding the same type, for the unknown-field check. */
  typesModule: string;
}

export const BUILT_IN_KINDS: Record<string, BuiltInKind> = {
  'v1/Namespace': { model: Namespace, typesModule: 'core/v1' },
  'v1/ConfigMap': { model: ConfigMap, typesModule: 'core/v1' },
  'v1/Secret': { model: Secret, typesModule: 'core/v1' },
  'v1/Service': { model: Service, typesModule: 'core/v1' },
  'apps/v1/Deployment': { model: Deployment, typesModule: 'apps/v1' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, typesModule: 'policy/v1' },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler, typesModule: 'autoscaling/v2' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, typesModule: 'networking/v1' },
  'networking.k8s.io/v1/Ingress': { model: Ingress, typesModule: 'networking/v1' },
};

/** Custom resources: the openAPIV3Schema subset vendored from each CRD, in test/schemas/. */
export const CUSTOM_KINDS: Record<string, string> = {
  'traefik.io/v1alpha1/Middleware': 'traefik.io_middlewares.yaml',
  'traefik.io/v1alpha1/IngressRoute': 'traefik.io_ingressroutes.yaml',
  'monitoring.coreos.com/v1/ServiceMonitor': 'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com/v1/PrometheusRule': 'monitoring.coreos.com_prometheusrules.yaml',
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export const kindKey = (object: KubeObject) => `${object.apiVersion}/${object.kind}`;
export const describeObject = (object: KubeObject) =>
  `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
