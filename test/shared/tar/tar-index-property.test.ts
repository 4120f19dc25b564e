import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BufferByteSource, indexTar } from '../../../shared/tar/index.js';
import { tarBuffer, type TarMember } from '../../helpers/fixtures/index.js';

// Segments of safe characters; long ones push names past 100 bytes, so tar-stream writes both
// ustar-prefix splits and PAX path records.
const segment = fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,119}$/).filter((s) => s !== '.' && s !== '..');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

const member: fc.Arbitrary<TarMember> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ name: path, data: fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a)) }),
  },
  { weight: 1, arbitrary: path.map((name) => ({ name: `${name}/`, type: 'directory' as const })) },
);

const memberList = fc.uniqueArray(member, { maxLength: 12, selector: (m) => m.name.replace(/\/$/, '') });

describe('indexTar: property over tar-stream archives', () => {
  it('returns every member with its name, size and a data offset holding its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(memberList, async (members) => {
        const archive = await tarBuffer(members);
        const entries = await indexTar(new BufferByteSource(archive, 'prop.tar'));
        assert.deepEqual(
          entries.map((e) => ({ name: e.name, type: e.type, size: e.size })),
          members.map((m) => ({
            name: m.name,
            type: m.type ?? 'file',
            size: m.data?.length ?? 0,
          })),
        );
        for (const [i, entry] of entries.entries()) {
          const expected = members[i]!.data ?? Buffer.alloc(0);
          assert.deepEqual(archive.subarray(entry.dataOffset, entry.dataOffset + entry.size), expected);
          assert.ok(entry.headerOffset < entry.dataOffset);
          if (i > 0) assert.ok(entry.headerOffset >= entries[i - 1]!.dataOffset + entries[i - 1]!.size);
        }
      }),
      { numRuns: 150 },
    );
  });
});
