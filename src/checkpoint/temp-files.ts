/**
 * Temporary files of atomic saves: named so that a later save can tell whose they are,
 * and removed by the next save of the same target once their writer is dead.
 *
 * A save writes `.<name>.<host>-<pid>-<random>.tmp` beside `<name>` and renames it over
 * the target. A writer killed before the rename (SIGKILL, a crash, power loss) leaves its
 * temporary file behind, as large as a whole checkpoint; nothing else would ever remove
 * it. `<host>` is a short hash of the host name, so a directory shared between machines
 * is only cleaned by saves on the writer's own machine, where its pid means something.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as nodePath from 'path';

let host: string | undefined;

/**
 * This machine's tag in temporary file names. Computed on first use, not at import: the
 * browser bundle maps `os` and `crypto` to empty modules, and must still load this file.
 */
function hostTag(): string {
  return (host ??= createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A fresh temporary path for a save of `file` (absolute, in the same directory). */
export function tempPathFor(file: string): string {
  const abs = nodePath.resolve(file);
  return nodePath.join(nodePath.dirname(abs),
    `.${nodePath.basename(abs)}.${hostTag()}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** The pid of the writer of temporary file `name` of a save of `base` on this host, or undefined. */
export function tempWriterPid(base: string, name: string): number | undefined {
  const b = escapeRegExp(base);
  const m = new RegExp(`^\\.${b}\\.([0-9a-f]{8})-(\\d+)-[0-9a-f]{8}\\.tmp$`).exec(name);
  if (m !== null) return m[1] === hostTag() ? Number(m[2]) : undefined;
  // Files of brainstate-ts 0.1 (`.<name>.<pid>.<random>.tmp`, no host): taken as this host's.
  const legacy = new RegExp(`^\\.${b}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`).exec(name);
  return legacy === null ? undefined : Number(legacy[1]);
}

/** True when no process with this pid runs here (EPERM means one runs, owned by someone else). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the temporary files that dead writers left beside `file`; returns their names.
 * A live writer's file (another process saving the same target right now) is kept, and
 * so are this process's own (a worker thread may be saving); a pid reused by an unrelated
 * live process keeps its file until a later save finds it dead.
 */
export function removeStaleTemps(file: string): string[] {
  const abs = nodePath.resolve(file);
  const dir = nodePath.dirname(abs);
  const base = nodePath.basename(abs);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // no directory yet: nothing to clean
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempWriterPid(base, name);
    if (pid === undefined || pid === process.pid || !isDead(pid)) continue;
    try {
      fs.rmSync(nodePath.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another save removed it first, or the directory is read-only: the save itself will say so
    }
  }
  return removed;
}
