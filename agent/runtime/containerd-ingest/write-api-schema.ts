import type { fromJSON } from '@grpc/proto-loader';

// The fields airlift writes and reads to import an image through containerd's v1 API (leases, content,
// snapshots, diff, images; github.com/containerd/containerd/api, stable since 1.0). Field numbers are
// containerd's (api/services/*/v1/*.proto at v1.6): never renumber them. Fields airlift never sets or
// reads (timestamps, Any payloads) are left out; protobuf skips them on the wire.
const str = (id: number) => ({ type: 'string', id });
const int64 = (id: number) => ({ type: 'int64', id });
const bool = (id: number) => ({ type: 'bool', id });
const labels = (id: number) => ({ keyType: 'string', type: 'string', id });
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const field = (type: string, id: number) => ({ type, id });
const rpc = (requestType: string, responseType: string, stream = false) => ({
  requestType,
  responseType,
  ...(stream ? { requestStream: true, responseStream: true } : {}),
});
const v1 = (defs: Record<string, unknown>) => ({ nested: { v1: { nested: defs } } });
const EMPTY = 'google.protobuf.Empty';
const DESCRIPTOR = 'containerd.types.Descriptor';
const MOUNT = 'containerd.types.Mount';
const MASK = 'google.protobuf.FieldMask';

const leases = v1({
  Leases: {
    methods: {
      Create: rpc('CreateRequest', 'CreateResponse'),
      Delete: rpc('DeleteRequest', EMPTY),
      AddResource: rpc('AddResourceRequest', EMPTY),
    },
  },
  Lease: { fields: { id: str(1), labels: labels(3) } },
  CreateRequest: { fields: { id: str(1), labels: labels(3) } },
  CreateResponse: { fields: { lease: field('Lease', 1) } },
  DeleteRequest: { fields: { id: str(1), sync: bool(2) } },
  Resource: { fields: { id: str(1), type: str(2) } },
  AddResourceRequest: { fields: { id: str(1), resource: field('Resource', 2) } },
});

const content = v1({
  Content: {
    methods: {
      Info: rpc('InfoRequest', 'InfoResponse'),
      Update: rpc('UpdateRequest', 'UpdateResponse'),
      Write: rpc('WriteContentRequest', 'WriteContentResponse', true),
      Read: { requestType: 'ReadContentRequest', responseType: 'ReadContentResponse', responseStream: true },
    },
  },
  Info: { fields: { digest: str(1), size: int64(2), labels: labels(5) } },
  InfoRequest: { fields: { digest: str(1) } },
  InfoResponse: { fields: { info: field('Info', 1) } },
  UpdateRequest: { fields: { info: field('Info', 1), updateMask: field(MASK, 2) } },
  UpdateResponse: { fields: { info: field('Info', 1) } },
  ReadContentRequest: { fields: { digest: str(1), offset: int64(2), size: int64(3) } },
  ReadContentResponse: { fields: { offset: int64(1), data: field('bytes', 2) } },
  WriteAction: { values: { STAT: 0, WRITE: 1, COMMIT: 2 } },
  WriteContentRequest: {
    fields: {
      action: field('WriteAction', 1),
      ref: str(2),
      total: int64(3),
      expected: str(4),
      offset: int64(5),
      data: field('bytes', 6),
      labels: labels(7),
    },
  },
  WriteContentResponse: {
    fields: { action: field('WriteAction', 1), offset: int64(4), total: int64(5), digest: str(6) },
  },
});

const snapshots = v1({
  Snapshots: {
    methods: {
      Prepare: rpc('PrepareSnapshotRequest', 'PrepareSnapshotResponse'),
      Commit: rpc('CommitSnapshotRequest', EMPTY),
      Remove: rpc('RemoveSnapshotRequest', EMPTY),
      Stat: rpc('StatSnapshotRequest', 'StatSnapshotResponse'),
    },
  },
  PrepareSnapshotRequest: { fields: { snapshotter: str(1), key: str(2), parent: str(3), labels: labels(4) } },
  PrepareSnapshotResponse: { fields: { mounts: repeated(MOUNT, 1) } },
  CommitSnapshotRequest: { fields: { snapshotter: str(1), name: str(2), key: str(3), labels: labels(4) } },
  RemoveSnapshotRequest: { fields: { snapshotter: str(1), key: str(2) } },
  StatSnapshotRequest: { fields: { snapshotter: str(1), key: str(2) } },
  Info: { fields: { name: str(1), parent: str(2), labels: labels(6) } },
  StatSnapshotResponse: { fields: { info: field('Info', 1) } },
});

const diff = v1({
  Diff: { methods: { Apply: rpc('ApplyRequest', 'ApplyResponse') } },
  ApplyRequest: { fields: { diff: field(DESCRIPTOR, 1), mounts: repeated(MOUNT, 2) } },
  ApplyResponse: { fields: { applied: field(DESCRIPTOR, 1) } },
});

const images = v1({
  Images: {
    methods: {
      Create: rpc('CreateImageRequest', 'CreateImageResponse'),
      Update: rpc('UpdateImageRequest', 'UpdateImageResponse'),
    },
  },
  Image: { fields: { name: str(1), labels: labels(2), target: field(DESCRIPTOR, 3) } },
  CreateImageRequest: { fields: { image: field('Image', 1) } },
  CreateImageResponse: { fields: { image: field('Image', 1) } },
  UpdateImageRequest: { fields: { image: field('Image', 1), updateMask: field(MASK, 2) } },
  UpdateImageResponse: { fields: { image: field('Image', 1) } },
});

/** The inline schema, for proto-loader's fromJSON. */
export const CONTAINERD_WRITE_API = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Empty: { fields: {} },
            FieldMask: { fields: { paths: repeated('string', 1) } },
          },
        },
      },
    },
    containerd: {
      nested: {
        types: {
          nested: {
            Descriptor: {
              fields: { mediaType: str(1), digest: str(2), size: int64(3), annotations: labels(5) },
            },
            Mount: {
              fields: { type: str(1), source: str(2), target: str(3), options: repeated('string', 4) },
            },
          },
        },
        services: { nested: { leases, content, snapshots, diff, images } },
      },
    },
  },
  // protobufjs's JSON types insist on a `comment` per method; the shape is theirs.
} as unknown as Parameters<typeof fromJSON>[0];
