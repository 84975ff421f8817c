/** The TypeScript source files of the library (for the architecture specs). */
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

/** Every `.ts` file under the given folders of the repository (absolute paths, sorted). */
export function sourceFiles(folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const f of folders) walk(path.join(root, f));
  return out.sort();
}

/** The repository root. */
export const repoRoot = root;
