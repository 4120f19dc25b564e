/** The container runtimes whose sockets the DaemonSet mounts. */
export type ManifestRuntime = 'containerd' | 'docker';

/** What the manifest is built from. */
export interface AgentManifestOptions {
  /** The agent image, as the nodes hold it (see docs/kubernetes.md). */
  readonly image: string;
  readonly version: string;
  /** Default airlift-system. */
  readonly namespace?: string;
  /**
   * Runtimes whose sockets are mounted (default containerd only). `docker` mounts
   * /var/run/docker.sock as a required socket: every node must then run Docker.
   */
  readonly runtimes?: readonly ManifestRuntime[];
}

export const DEFAULT_NAMESPACE = 'airlift-system';
export const AGENT_NAME = 'airlift-agent';
/** Where /healthz and /metrics listen: loopback of the node, which kubelet reaches with hostNetwork. */
export const METRICS_PORT = 7484;
/** How long a running job may finish on SIGTERM, and the grace the pod gets beyond it. */
export const DRAIN_TIMEOUT_SECONDS = 60;
export const TERMINATION_GRACE_SECONDS = 90;

type Manifest = Record<string, unknown>;

/** The Namespace and the DaemonSet, in apply order. */
export function agentManifests(options: AgentManifestOptions): Manifest[] {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const labels = {
    'app.kubernetes.io/name': AGENT_NAME,
    'app.kubernetes.io/part-of': 'airlift',
    'app.kubernetes.io/version': options.version,
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        // hostNetwork and hostPath are outside the baseline Pod Security Standard.
        labels: {
          'app.kubernetes.io/part-of': 'airlift',
          'pod-security.kubernetes.io/enforce': 'privileged',
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: AGENT_NAME, namespace, labels },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
        // One node at a time: the others keep serving pieces to their peers meanwhile.
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: { metadata: { labels }, spec: podSpec(options) },
      },
    },
  ];
}

function podSpec(options: AgentManifestOptions): Manifest {
  const runtimes = options.runtimes ?? ['containerd'];
  return {
    hostNetwork: true,
    hostPID: false,
    hostIPC: false,
    // The node's resolver, as the systemd agent has: no dependency on CoreDNS, which an upgrade may restart.
    dnsPolicy: 'Default',
    priorityClassName: 'system-node-critical',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    tolerations: [{ operator: 'Exists' }],
    containers: [agentContainer(options.image, runtimes)],
    volumes: [
      ...runtimes.map((runtime) => RUNTIME_VOLUMES[runtime].volume),
      hostPath('spool', '/var/lib/airlift', 'DirectoryOrCreate'),
      hostPath('identity', '/etc/airlift/agent.json', 'File'),
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ],
  };
}

function agentContainer(image: string, runtimes: readonly ManifestRuntime[]): Manifest {
  const probe = (periodSeconds: number, failureThreshold: number): Manifest => ({
    // With hostNetwork the pod's loopback is the node's, where kubelet runs: the endpoint stays on
    // 127.0.0.1 and is reachable by nobody else (kube-proxy and kubeadm's static pods do the same).
    httpGet: { host: '127.0.0.1', port: METRICS_PORT, path: '/healthz', scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  });
  return {
    name: 'agent',
    image,
    imagePullPolicy: 'IfNotPresent',
    args: agentArgs(runtimes),
    env: [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
    ],
    ports: [
      { name: 'grpc', containerPort: 7481, protocol: 'TCP' },
      { name: 'pieces', containerPort: 7483, protocol: 'TCP' },
    ],
    securityContext: {
      // Root for the runtime socket (owner root, mode 0660) and the identity (0600), but no capability:
      // owner access needs none, and every port is above 1024.
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // Measured peak RSS 160–220 MiB in a 1 GiB job (docs/benchmarks.md). No CPU limit: throttling
    // would stretch the import, which is the upgrade's critical path.
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    readinessProbe: probe(10, 3),
    // Two minutes of failures before a restart: a job keeps /healthz at 200, a lost NATS reconnects by
    // itself, a restarted runtime (new socket) is picked up by the restart.
    livenessProbe: { ...probe(20, 6), initialDelaySeconds: 30 },
    volumeMounts: [
      ...runtimes.map((runtime) => RUNTIME_VOLUMES[runtime].mount),
      { name: 'spool', mountPath: '/var/lib/airlift' },
      { name: 'identity', mountPath: '/etc/airlift/agent.json', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

function agentArgs(runtimes: readonly ManifestRuntime[]): string[] {
  const only = runtimes.length === 1 ? runtimes[0] : undefined;
  return [
    '--identity=/etc/airlift/agent.json',
    // Refused unless the identity is this node's: catches an identity copied to the wrong node.
    '--node=$(NODE_NAME)',
    '--grpc-listen=0.0.0.0:7481',
    // The node's address, not its host name: peers reach each other by IP in most clusters.
    '--grpc-advertise=$(NODE_IP):7481',
    `--metrics-listen=127.0.0.1:${METRICS_PORT}`,
    '--spool-dir=/var/lib/airlift/spool',
    `--drain-timeout=${DRAIN_TIMEOUT_SECONDS}s`,
    // The image has no ctr: containerd imports go through its API.
    '--containerd-importer=api',
    ...(only === undefined ? [] : [`--runtime=${only}`]),
  ];
}

// The directory, not the socket file: a restarted containerd makes a new socket there, which a
// directory mount shows and a file mount would not. Created if absent, so nodes differ harmlessly.
const RUNTIME_VOLUMES: Record<ManifestRuntime, { volume: Manifest; mount: Manifest }> = {
  containerd: {
    volume: hostPath('containerd', '/run/containerd', 'DirectoryOrCreate'),
    mount: { name: 'containerd', mountPath: '/run/containerd', readOnly: true },
  },
  docker: {
    // Docker's socket sits in /run itself; mounting /run would hand over every socket of the node.
    volume: hostPath('docker', '/var/run/docker.sock', 'Socket'),
    mount: { name: 'docker', mountPath: '/var/run/docker.sock', readOnly: true },
  },
};

function hostPath(name: string, path: string, type: string): Manifest {
  return { name, hostPath: { path, type } };
}
