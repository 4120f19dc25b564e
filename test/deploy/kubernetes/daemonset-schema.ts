import { z } from 'zod';

// The apps/v1 DaemonSet fields the agent manifest uses, as the API server checks them: required fields,
// name formats, enums and quantities. Objects are strict, so a misspelt field (`hostPid`) fails here as
// `kubectl apply` would reject it with "unknown field".

const dns1123Label = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const dns1123Subdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/);
const labels = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/),
  labelValue,
);
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/);
const port = z.number().int().min(1).max(65535);

const probe = z.strictObject({
  httpGet: z.strictObject({
    host: z.string().optional(),
    port: z.union([port, dns1123Label]),
    path: z.string().startsWith('/'),
    scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  }),
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1),
  timeoutSeconds: z.number().int().min(1),
  failureThreshold: z.number().int().min(1),
});

const container = z.strictObject({
  name: dns1123Label,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  args: z.array(z.string()),
  env: z.array(
    z.strictObject({
      name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
      valueFrom: z.strictObject({
        fieldRef: z.strictObject({ fieldPath: z.enum(['spec.nodeName', 'status.hostIP', 'status.podIP']) }),
      }),
    }),
  ),
  ports: z.array(
    z.strictObject({
      name: z.string().max(15),
      containerPort: port,
      protocol: z.enum(['TCP', 'UDP', 'SCTP']),
    }),
  ),
  securityContext: z.strictObject({
    runAsUser: z.number().int().min(0),
    runAsGroup: z.number().int().min(0),
    runAsNonRoot: z.boolean(),
    privileged: z.boolean(),
    allowPrivilegeEscalation: z.boolean(),
    readOnlyRootFilesystem: z.boolean(),
    capabilities: z.strictObject({ drop: z.array(z.string()), add: z.array(z.string()).optional() }),
    seccompProfile: z.strictObject({ type: z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']) }),
  }),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: quantity, memory: quantity }),
    limits: z.strictObject({ cpu: quantity.optional(), memory: quantity }),
  }),
  readinessProbe: probe,
  livenessProbe: probe,
  volumeMounts: z.array(
    z.strictObject({
      name: dns1123Label,
      mountPath: z.string().startsWith('/'),
      readOnly: z.boolean().optional(),
    }),
  ),
});

const volume = z.union([
  z.strictObject({
    name: dns1123Label,
    hostPath: z.strictObject({
      path: z.string().startsWith('/'),
      type: z.enum([
        '',
        'DirectoryOrCreate',
        'Directory',
        'FileOrCreate',
        'File',
        'Socket',
        'CharDevice',
        'BlockDevice',
      ]),
    }),
  }),
  z.strictObject({ name: dns1123Label, emptyDir: z.strictObject({ sizeLimit: quantity.optional() }) }),
]);

const podSpec = z.strictObject({
  hostNetwork: z.boolean(),
  hostPID: z.boolean(),
  hostIPC: z.boolean(),
  dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']),
  priorityClassName: z.string(),
  automountServiceAccountToken: z.boolean(),
  enableServiceLinks: z.boolean(),
  terminationGracePeriodSeconds: z.number().int().min(0),
  tolerations: z.array(
    z.strictObject({
      key: z.string().optional(),
      operator: z.enum(['Exists', 'Equal']),
      value: z.string().optional(),
      effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    }),
  ),
  containers: z.array(container).min(1),
  volumes: z.array(volume),
});

export const namespaceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: z.strictObject({ name: dns1123Label, labels }),
});

export const daemonSetSchema = z
  .strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('DaemonSet'),
    metadata: z.strictObject({ name: dns1123Subdomain, namespace: dns1123Label, labels }),
    spec: z.strictObject({
      selector: z.strictObject({ matchLabels: labels }),
      updateStrategy: z.strictObject({
        type: z.enum(['RollingUpdate', 'OnDelete']),
        rollingUpdate: z.strictObject({ maxUnavailable: z.union([z.number().int().min(1), z.string()]) }),
      }),
      template: z.strictObject({ metadata: z.strictObject({ labels }), spec: podSpec }),
    }),
  })
  // What the API server's DaemonSet validation checks across fields.
  .superRefine((ds, ctx) => {
    const template = ds.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(ds.spec.selector.matchLabels)) {
      if (template[key] !== value)
        ctx.addIssue({ code: 'custom', message: `selector ${key}=${value} does not match the template` });
    }
    const volumes = ds.spec.template.spec.volumes.map((v) => v.name);
    if (new Set(volumes).size !== volumes.length)
      ctx.addIssue({ code: 'custom', message: 'volume names repeat' });
    for (const c of ds.spec.template.spec.containers) {
      for (const mount of c.volumeMounts) {
        if (!volumes.includes(mount.name))
          ctx.addIssue({ code: 'custom', message: `mount ${mount.name} names no volume` });
      }
      const defined = new Set(c.env.map((e) => e.name));
      for (const arg of c.args) {
        for (const [, name] of arg.matchAll(/\$\(([^)]+)\)/g)) {
          if (name !== undefined && !defined.has(name))
            ctx.addIssue({ code: 'custom', message: `${arg} refers to undefined env ${name}` });
        }
      }
    }
  });

export type DaemonSet = z.infer<typeof daemonSetSchema>;
