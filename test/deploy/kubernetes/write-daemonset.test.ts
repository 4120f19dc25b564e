import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { agentImageReference } from '../../../deploy/image/index.js';
import { writeDaemonSet, DRAIN_TIMEOUT_SECONDS } from '../../../deploy/kubernetes/index.js';
import { KUBECTL_STAND_IN, readStandInLog, standInEnv } from '../../helpers/kube-stand-ins.js';
import { runCli } from '../../helpers/run-cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { daemonSetSchema, namespaceSchema, type DaemonSet } from './daemonset-schema.js';

const VERSION = '0.1.0';
const IMAGE = agentImageReference(VERSION);

/** Writes the manifest and returns its two documents, schema-checked. */
async function written(
  dir: string,
  name: string,
  extra: { namespace?: string; runtimes?: ('containerd' | 'docker')[] } = {},
) {
  const outFile = join(dir, name);
  await writeDaemonSet({ image: IMAGE, version: VERSION, outFile, ...extra });
  const docs = parseAllDocuments(await readFile(outFile, 'utf8'));
  assert.ok(Array.isArray(docs), 'a document stream');
  for (const doc of docs) assert.deepEqual(doc.errors, []);
  assert.equal(docs.length, 2);
  const namespace = namespaceSchema.parse(docs[0]?.toJS());
  const daemonSet: DaemonSet = daemonSetSchema.parse(docs[1]?.toJS());
  return { outFile, namespace, daemonSet, container: daemonSet.spec.template.spec.containers[0]! };
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(m, quantity);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('writeDaemonSet: the agent manifest', () => {
  let tmp: TempDir;
  before(() => {
    tmp = makeTempDir('airlift-daemonset');
  });
  after(async () => {
    await tmp.remove();
  });

  it('writes a Namespace and an apps/v1 DaemonSet that pass the API fields check', async () => {
    const { namespace, daemonSet } = await written(tmp.path, 'default.yaml');
    assert.equal(namespace.metadata.name, 'airlift-system');
    assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.equal(daemonSet.metadata.namespace, 'airlift-system');
    assert.equal(daemonSet.spec.updateStrategy.type, 'RollingUpdate');
    assert.equal(daemonSet.metadata.labels['app.kubernetes.io/version'], VERSION);
  });

  it('runs on every node, node-critical, on the host network, unprivileged and without capabilities', async () => {
    const { daemonSet, container } = await written(tmp.path, 'pod.yaml');
    const pod = daemonSet.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.hostPID, false);
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    assert.equal(pod.priorityClassName, 'system-node-critical');
    assert.equal(container.image, IMAGE);
    assert.equal(container.imagePullPolicy, 'IfNotPresent');
    const security = container.securityContext;
    assert.equal(security.privileged, false);
    assert.equal(security.runAsUser, 0);
    assert.deepEqual(security.capabilities, { drop: ['ALL'] });
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.equal(security.readOnlyRootFilesystem, true);
  });

  it('mounts the containerd socket directory, the spool and this node identity from the host', async () => {
    const { daemonSet, container } = await written(tmp.path, 'mounts.yaml');
    const volumes = new Map(daemonSet.spec.template.spec.volumes.map((v) => [v.name, v]));
    const hostPathOf = (mountPath: string) => {
      const mount = container.volumeMounts.find((m) => m.mountPath === mountPath);
      assert.ok(mount, `a mount at ${mountPath}`);
      const volume = volumes.get(mount.name);
      assert.ok(volume !== undefined && 'hostPath' in volume, `${mountPath} is a hostPath`);
      return { ...volume.hostPath, readOnly: mount.readOnly === true };
    };
    assert.deepEqual(hostPathOf('/run/containerd'), {
      path: '/run/containerd',
      type: 'DirectoryOrCreate',
      readOnly: true,
    });
    assert.deepEqual(hostPathOf('/var/lib/airlift'), {
      path: '/var/lib/airlift',
      type: 'DirectoryOrCreate',
      readOnly: false,
    });
    assert.deepEqual(hostPathOf('/etc/airlift/agent.json'), {
      path: '/etc/airlift/agent.json',
      type: 'File',
      readOnly: true,
    });
    assert.ok(
      !container.volumeMounts.some((m) => m.mountPath.includes('docker')),
      'no docker socket by default',
    );
    assert.ok(container.args.includes('--runtime=containerd'));
    assert.ok(container.args.includes('--spool-dir=/var/lib/airlift/spool'));
    assert.ok(container.args.includes('--identity=/etc/airlift/agent.json'));
  });

  it('with docker too: the docker socket is a required Socket and the runtime is auto-detected', async () => {
    const { daemonSet, container } = await written(tmp.path, 'docker.yaml', {
      runtimes: ['containerd', 'docker'],
    });
    const docker = daemonSet.spec.template.spec.volumes.find((v) => v.name === 'docker');
    assert.deepEqual(docker, { name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } });
    assert.ok(!container.args.some((a) => a.startsWith('--runtime=')));
  });

  it('probes /healthz on the loopback port the agent serves it on, and drains within the grace period', async () => {
    const { daemonSet, container } = await written(tmp.path, 'probes.yaml');
    const listen = container.args.find((a) => a.startsWith('--metrics-listen='))?.split('=')[1];
    assert.equal(listen, '127.0.0.1:7484');
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.equal(`${probe.httpGet.host}:${probe.httpGet.port}`, listen);
      assert.equal(probe.httpGet.path, '/healthz');
    }
    const live = container.livenessProbe;
    assert.ok(
      live.periodSeconds * live.failureThreshold >= 60,
      'a minute of failures before a restart at least',
    );
    assert.ok(container.args.includes(`--drain-timeout=${DRAIN_TIMEOUT_SECONDS}s`));
    assert.ok(daemonSet.spec.template.spec.terminationGracePeriodSeconds >= DRAIN_TIMEOUT_SECONDS + 10);
  });

  it('asks for memory above the agent measured peak (220 MiB) and limits it with headroom', async () => {
    const { container } = await written(tmp.path, 'resources.yaml');
    assert.ok(mebibytes(container.resources.requests.memory) >= 220);
    assert.ok(mebibytes(container.resources.limits.memory) >= 2 * 220);
    assert.equal(container.resources.limits.cpu, undefined, 'no CPU throttling of the import');
  });

  it('the fields check refuses what the API server would: a misspelt field, a mount without a volume', async () => {
    const { daemonSet } = await written(tmp.path, 'broken.yaml');
    const pod = daemonSet.spec.template.spec;
    const misspelt = structuredClone(daemonSet) as unknown as {
      spec: { template: { spec: Record<string, unknown> } };
    };
    misspelt.spec.template.spec['hostPid'] = false;
    assert.equal(daemonSetSchema.safeParse(misspelt).success, false);
    const dangling = structuredClone(daemonSet);
    dangling.spec.template.spec.volumes = pod.volumes.filter((v) => v.name !== 'identity');
    const result = daemonSetSchema.safeParse(dangling);
    assert.ok(!result.success);
    assert.match(JSON.stringify(result.error.issues), /mount identity names no volume/);
  });

  it('puts everything in the namespace asked for', async () => {
    const { namespace, daemonSet } = await written(tmp.path, 'ns.yaml', { namespace: 'ops-airlift' });
    assert.equal(namespace.metadata.name, 'ops-airlift');
    assert.equal(daemonSet.metadata.namespace, 'ops-airlift');
  });

  it('passes only flags the built airlift agent accepts', async () => {
    const { container } = await written(tmp.path, 'flags.yaml');
    const help = await runCli(['agent', '--help']);
    assert.equal(help.exitCode, 0, help.stderr);
    for (const arg of container.args) {
      const flag = arg.split('=')[0] ?? arg;
      assert.match(help.stdout, new RegExp(`${flag}[ ,<]`), `${flag} in airlift agent --help`);
    }
  });

  it('is what `kubectl apply --dry-run=client -f FILE` is given (recording stand-in)', async () => {
    const { outFile } = await written(tmp.path, 'apply.yaml');
    const log = join(tmp.path, 'kubectl.log');
    const run = await execa(KUBECTL_STAND_IN, ['apply', '--dry-run=client', '-f', outFile], {
      env: standInEnv(log),
      timeout: 20_000,
      reject: false,
    });
    assert.equal(run.exitCode, 0, run.stderr);
    const calls = await readStandInLog(log);
    assert.deepEqual(
      calls.map((c) => [c.tool, ...c.argv]),
      [['kubectl', 'apply', '--dry-run=client', '-f', outFile]],
    );
  });
});
