import { BLOCK_SIZE } from './tar-header.js';

/** The bytes of one regular-file member (ustar header, data, padding) for a short name and small data. */
export function tarFileMember(name: string, data: Buffer): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar member name longer than 100 bytes: ${name}`);
  const header = Buffer.alloc(BLOCK_SIZE);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write('        ', 148, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const padding = Buffer.alloc((BLOCK_SIZE - (data.length % BLOCK_SIZE)) % BLOCK_SIZE);
  return Buffer.concat([header, data, padding]);
}

/** The two zero blocks that end a tar archive. */
export const TAR_TRAILER: Buffer = Buffer.alloc(2 * BLOCK_SIZE);
