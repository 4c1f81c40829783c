// When the schema refuses a config, the checks that need a parsed config (meter profiles,
// ids, references between sections) used to wait for the next run: an installer fixed
// poll_ms, ran `config check` again, and only then learnt that the profile name was
// misspelt. Here each refused value is dropped (its default takes its place, or the key
// that held it goes) until the rest parses, so those checks run in the same pass.
import type { z } from 'zod';
import { formatPath } from './issues.ts';

export interface Salvaged<T> {
  /** the config parsed without the refused values */
  config: T;
  /** key paths dropped to get there: checks of what lies under them would only see defaults */
  dropped: string[];
}

const MAX_ROUNDS = 8;

export function salvage<T>(schema: z.ZodType<T>, raw: unknown, issues: readonly z.core.$ZodIssue[]): Salvaged<T> | undefined {
  if (!isRecord(raw)) return undefined;
  const copy = structuredClone(raw);
  const dropped = new Set<string>();
  let pending = issues;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const issue of pending) {
      const target = dropTarget(copy, issue, dropped);
      if (!target) return undefined;
      remove(copy, target);
      dropped.add(formatPath(target));
    }
    const again = schema.safeParse(copy);
    if (again.success) return { config: again.data, dropped: [...dropped] };
    pending = again.error.issues;
  }
  return undefined;
}

/** Whether a later issue at `path` is only an echo of a value that was dropped. */
export function underDropped(path: string, dropped: readonly string[]): boolean {
  return dropped.some((d) => path === d || path.startsWith(`${d}.`) || path.startsWith(`${d}[`));
}

/**
 * The key to drop for an issue: the value itself, or (an unknown key) the key named by it;
 * a path dropped before and still refused (a required value) moves up to the key holding it.
 * Array items are never removed (the paths of the items after them would shift): undefined.
 */
function dropTarget(root: Record<string, unknown>, issue: z.core.$ZodIssue, dropped: Set<string>): PropertyKey[] | undefined {
  let target: PropertyKey[] = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    // all the unknown keys of that object go at once
    const holder = at(root, issue.path);
    if (isRecord(holder)) for (const k of issue.keys.slice(1)) delete holder[k];
  }
  while (dropped.has(formatPath(target)) || at(root, target) === undefined) {
    target = target.slice(0, -1);
    if (!target.length) return undefined;
  }
  if (typeof target[target.length - 1] === 'number') return undefined;
  return target;
}

function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of path) {
    if (!isRecord(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function remove(root: Record<string, unknown>, path: PropertyKey[]): void {
  const holder = at(root, path.slice(0, -1));
  if (isRecord(holder)) delete holder[path[path.length - 1] as string];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
