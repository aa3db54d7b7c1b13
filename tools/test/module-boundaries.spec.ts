// The workspace's shape (STYLE.md § The shape of the house), checked through the lint rule that
// enforces it: stages meet only at io's schemas and sae-core's math, never import each other.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The module-boundary messages the project's ESLint gives for `importing` imported from a file of
 * package `from` (the CLI, in a child process: ESLint loads its flat config as an ES module).
 */
function boundaryErrors(from: string, importing: string): string[] {
  const code = `import * as m from '${importing}';\nexport const used = m;\n`;
  const file = path.join('packages', from, 'src', 'lib', 'boundary-probe.ts');
  const eslint = path.join(ROOT, 'node_modules', '.bin', 'eslint');
  const run = spawnSync(eslint, ['--stdin', '--stdin-filename', file, '--format', 'json'], { cwd: ROOT, input: code, encoding: 'utf8' });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

beforeAll(async () => {
  await createProjectGraphAsync({ exitOnError: false }); // the rule reads the cached project graph
}, 120_000);

describe('package boundaries', () => {
  it.each([
    ['train', '@saestream/io'],
    ['train', '@saestream/sae-core'],
    ['interpret', '@saestream/sae-core'],
    ['extract', '@saestream/io'],
    ['sae-core', '@saestream/io'],
    ['cli', '@saestream/extract'],
    ['cli', '@saestream/train'],
  ])('%s may import %s', (from, importing) => {
    expect(boundaryErrors(from, importing)).toEqual([]);
  });

  it.each([
    ['train', '@saestream/extract'],
    ['interpret', '@saestream/train'],
    ['extract', '@saestream/interpret'],
    ['io', '@saestream/sae-core'],
    ['sae-core', '@saestream/train'],
    ['train', '@saestream/cli'],
  ])('%s may not import %s', (from, importing) => {
    const errors = boundaryErrors(from, importing);
    expect(errors).toHaveLength(1);
    // The tag rule, or, where the imported package already depends on the importer (sae-core on
    // io, train on sae-core, cli on train), the rule's cycle check, which Nx reports first.
    expect(errors[0]).toMatch(/A project tagged with "type:\w+" (can only depend on libs tagged with|cannot depend on any libs with tags)|^Circular dependency between "\S+" and "\S+" detected/);
  });
});
