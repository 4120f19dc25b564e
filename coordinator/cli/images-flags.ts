import { Option, type Command } from 'commander';
import { ConfigInvalidError } from '../../shared/errors/index.js';
import type { UpgradeRequest } from '../upgrade/upgrade-request.js';

/** The `--images` flags of `airlift upgrade`. */
export interface ImagesFlags {
  images: 'bundle' | 'registry';
  prePull: boolean;
  registryPlainHttp: boolean;
}

/** Adds `--images bundle|registry`, `--pre-pull` and `--registry-plain-http`. */
export function addImagesOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--images <source>',
        'bundle: every node loads images.tar from the bundle; registry: the images are already in the registry (airlift sync) and every node checks it can pull each one',
      )
        .choices(['bundle', 'registry'])
        .default('bundle'),
    )
    .option(
      '--pre-pull',
      'with --images registry: every node pulls every image before the helm upgrade',
      false,
    )
    .option(
      '--registry-plain-http',
      "with --images registry: nodes speak plain HTTP to the image registry (otherwise each node's runtime registry configuration decides)",
      false,
    );
}

/** The request fields the `--images` flags set; --pre-pull and --registry-plain-http need --images registry. */
export function imagesRequest(
  flags: ImagesFlags,
): Pick<UpgradeRequest, 'images' | 'prePull' | 'registryPlainHttp'> {
  if (flags.images !== 'registry') {
    for (const [set, name] of [
      [flags.prePull, '--pre-pull'],
      [flags.registryPlainHttp, '--registry-plain-http'],
    ] as const) {
      if (set) throw new ConfigInvalidError('command line', name, 'only applies with --images registry');
    }
    return {};
  }
  return { images: 'registry', prePull: flags.prePull, registryPlainHttp: flags.registryPlainHttp };
}
