import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addImagesOptions, imagesRequest, type ImagesFlags } from '../../../coordinator/cli/images-flags.js';
import { ConfigInvalidError } from '../../../shared/errors/index.js';

function parse(args: readonly string[]): ImagesFlags {
  const command = addImagesOptions(new Command('upgrade').exitOverride()).configureOutput({
    writeErr: () => undefined,
  });
  command.parse(args, { from: 'user' });
  return command.opts<ImagesFlags>();
}

describe('--images flags', () => {
  it('defaults to the bundle path, and sets nothing in the request', () => {
    assert.deepEqual(imagesRequest(parse([])), {});
  });

  it('--images registry with --pre-pull and --registry-plain-http', () => {
    assert.deepEqual(imagesRequest(parse(['--images', 'registry', '--pre-pull', '--registry-plain-http'])), {
      images: 'registry',
      prePull: true,
      registryPlainHttp: true,
    });
  });

  it('refuses an unknown source, and --pre-pull without --images registry', () => {
    assert.throws(() => parse(['--images', 'somewhere']), /argument 'somewhere' is invalid/);
    assert.throws(
      () => imagesRequest(parse(['--pre-pull'])),
      (err) =>
        err instanceof ConfigInvalidError &&
        /--pre-pull: only applies with --images registry/.test(err.message),
    );
  });
});
