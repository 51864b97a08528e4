// The security settings a container runs with, as the kubelet derives them: the pod's securityContext with the
// container's own fields taking precedence (runAsUser, runAsGroup, runAsNonRoot), supplementalGroups plus fsGroup,
// and the container-only fields (privileged, readOnlyRootFilesystem, capabilities, allowPrivilegeEscalation).
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import type { ContainerSecurityContext, Image, SandboxSecurityContext } from "./runtime/types.js";

const num = (v: number | null | undefined): number | undefined => (typeof v === "number" ? v : undefined);

/** Groups every container of the pod joins: supplementalGroups, then fsGroup (volume ownership is not changed). */
function podGroups(pod: Pod): number[] | undefined {
  const psc = pod.spec?.securityContext;
  const groups = [...(psc?.supplementalGroups ?? [])];
  const fsGroup = num(psc?.fsGroup);
  if (fsGroup !== undefined && !groups.includes(fsGroup)) groups.push(fsGroup);
  return groups.length > 0 ? groups : undefined;
}

function isPrivileged(c: Container): boolean {
  return c.securityContext?.privileged === true;
}

/** The sandbox's settings: the pod's user and groups, privileged when any of its containers is. */
export function sandboxSecurity(pod: Pod): SandboxSecurityContext | undefined {
  const psc = pod.spec?.securityContext;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const out: SandboxSecurityContext = {};
  const user = num(psc?.runAsUser);
  const group = num(psc?.runAsGroup);
  const groups = podGroups(pod);
  if (user !== undefined) out.runAsUser = user;
  if (group !== undefined) out.runAsGroup = group;
  if (groups) out.supplementalGroups = groups;
  if (all.some(isPrivileged)) out.privileged = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The container's effective settings; undefined when neither the pod nor the container sets any. */
export function containerSecurity(pod: Pod, c: Container): ContainerSecurityContext | undefined {
  const psc = pod.spec?.securityContext;
  const csc = c.securityContext;
  const out: ContainerSecurityContext = {};
  const user = num(csc?.runAsUser) ?? num(psc?.runAsUser);
  const group = num(csc?.runAsGroup) ?? num(psc?.runAsGroup);
  const groups = podGroups(pod);
  if (user !== undefined) out.runAsUser = user;
  if (group !== undefined) out.runAsGroup = group;
  if (groups) out.supplementalGroups = groups;
  if (csc?.privileged) out.privileged = true;
  if (csc?.readOnlyRootFilesystem) out.readonlyRootfs = true;
  const caps = csc?.capabilities;
  if (caps && ((caps.add?.length ?? 0) > 0 || (caps.drop?.length ?? 0) > 0)) out.capabilities = { add: [...(caps.add ?? [])], drop: [...(caps.drop ?? [])] };
  // As the kubelet: no_new_privs only when allowPrivilegeEscalation is explicitly false.
  if (csc?.allowPrivilegeEscalation === false) out.noNewPrivs = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

const podRef = (pod: Pod): string => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

/**
 * With runAsNonRoot the container must not run as uid 0: the uid it runs as (its runAsUser, else the pod's, else the
 * image's user; an image without a user runs as root) is checked before it is created. Answers the kubelet's error
 * message, or undefined when the container may run.
 */
export function runAsNonRootError(pod: Pod, c: Container, image: Image | undefined): string | undefined {
  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
  if (nonRoot !== true) return undefined;
  const ref = `(pod: "${podRef(pod)}", container: ${c.name})`;
  const user = num(c.securityContext?.runAsUser) ?? num(pod.spec?.securityContext?.runAsUser);
  if (user !== undefined) return user === 0 ? `container's runAsUser breaks non-root policy ${ref}` : undefined;
  if (image?.uid === undefined && image?.username) return `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root ${ref}`;
  return (image?.uid ?? 0) === 0 ? `container has runAsNonRoot and image will run as root ${ref}` : undefined;
}
