// Every resource the API server serves, in discovery order. Group/resource pairs are unique; core/v1 events and
// events.k8s.io/v1 events share their stored objects through storagePrefix.
import type { ResourceDef } from "../types.js";
import { namespaces } from "./namespaces.js";
import { pods } from "./pods.js";
import { services } from "./services.js";
import { endpoints } from "./endpoints.js";
import { nodes } from "./nodes.js";
import { configmaps } from "./configmaps.js";
import { secrets } from "./secrets.js";
import { serviceAccounts } from "./service_accounts.js";
import { coreEvents, eventsV1 } from "./events.js";
import { persistentVolumes } from "./persistent_volumes.js";
import { persistentVolumeClaims } from "./persistent_volume_claims.js";
import { replicationControllers } from "./replication_controllers.js";
import { resourceQuotas } from "./resource_quotas.js";
import { limitRanges } from "./limit_ranges.js";
import { deployments } from "./deployments.js";
import { replicasets } from "./replicasets.js";
import { statefulsets } from "./statefulsets.js";
import { daemonsets } from "./daemonsets.js";
import { controllerRevisions } from "./controller_revisions.js";
import { jobs } from "./jobs.js";
import { cronjobs } from "./cronjobs.js";
import { horizontalPodAutoscalers } from "./horizontal_pod_autoscalers.js";
import { podDisruptionBudgets } from "./pod_disruption_budgets.js";
import { ingresses, ingressClasses } from "./ingresses.js";
import { networkPolicies } from "./network_policies.js";
import { endpointSlices } from "./endpoint_slices.js";
import { leases } from "./leases.js";
import { storageClasses } from "./storage_classes.js";
import { priorityClasses } from "./priority_classes.js";
import { selfSubjectAccessReviews } from "./self_subject_access_reviews.js";

const DEFS: ResourceDef[] = [
  namespaces, pods, services, endpoints, nodes, configmaps, secrets, serviceAccounts, coreEvents, persistentVolumes,
  persistentVolumeClaims, replicationControllers, resourceQuotas, limitRanges,
  deployments, replicasets, statefulsets, daemonsets, controllerRevisions,
  jobs, cronjobs,
  horizontalPodAutoscalers,
  podDisruptionBudgets,
  ingresses, ingressClasses, networkPolicies,
  endpointSlices,
  leases,
  storageClasses,
  priorityClasses,
  selfSubjectAccessReviews,
  eventsV1,
];

// Kubernetes accepts updates without a resourceVersion (last write wins) for nearly every resource; the few that
// rely on compare-and-swap (leases) say so explicitly.
for (const d of DEFS) d.strategy.allowUnconditionalUpdate ??= true;

export const ALL_RESOURCES: ResourceDef[] = DEFS;

export { BUILTIN_PRIORITY_CLASSES } from "./priority_classes.js";
export { EVENTS_STORAGE_PREFIX } from "./events.js";
