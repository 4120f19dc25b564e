import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageTemplateParts } from '../../../shared/chart/index.js';
import { TemplateError } from '../../../shared/errors/index.js';

// The cases of relok8s internal/image_template_test.go and DaoCloud's provider/image_template_test.go.
describe('imageTemplateParts', () => {
  it('splits templates the way relok8s does', () => {
    assert.deepEqual(imageTemplateParts('{{ .image }}'), { registryAndRepository: 'image' });
    assert.deepEqual(imageTemplateParts('{{ .image }}:{{ .tag }}'), {
      registryAndRepository: 'image',
      tag: 'tag',
    });
    assert.deepEqual(imageTemplateParts('{{ .image }}@{{ .digest }}'), {
      registryAndRepository: 'image',
      digest: 'digest',
    });
    assert.deepEqual(imageTemplateParts('{{ .image.registry }}/{{ .image.repository }}:{{ .image.tag }}'), {
      registry: 'image.registry',
      repository: 'image.repository',
      tag: 'image.tag',
    });
    assert.deepEqual(
      imageTemplateParts(
        '{{ .sub-chart.image.registry }}/{{ .sub-chart.image.repository }}:{{ .sub-chart.image.tag }}',
      ),
      {
        registry: 'sub-chart.image.registry',
        repository: 'sub-chart.image.repository',
        tag: 'sub-chart.image.tag',
      },
    );
  });

  it('uses the first field an action reads, and skips literal-only actions', () => {
    assert.deepEqual(
      imageTemplateParts('{{ default .image.registry .global.imageRegistry }}/{{ "lib/x" }}:{{ .t }}'),
      {
        registry: 'image.registry',
        tag: 't',
      },
    );
  });

  const refused: [string, RegExp][] = [
    ['', /missing repo or a registry fragment/],
    ['not a template', /missing repo or a registry fragment/],
    ['{{ .image }}:{{ .tag1 }}:{{ .tag2 }}', /too many tag template matches/],
    ['{{ .image }}@{{ .digest1 }}@{{ .digest2 }}', /too many digest template matches/],
    ['{{ .a }}/{{ .b }}/{{ .c }}/{{ .d }}', /more fragments than expected/],
  ];
  for (const [template, message] of refused) {
    it(`refuses ${JSON.stringify(template)} as relok8s does`, () => {
      assert.throws(
        () => imageTemplateParts(template),
        (err: unknown) => err instanceof TemplateError && message.test(err.message),
      );
    });
  }
});
