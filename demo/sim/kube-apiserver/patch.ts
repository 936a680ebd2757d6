/** The two patch formats the fake kube-apiserver accepts: JSON merge patch (RFC 7386) and JSON patch (RFC 6902). */

export class PatchError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, anything else (arrays included) replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** RFC 6901 pointer → path segments. */
function pointer(p: unknown): string[] {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) throw new PatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, segs: string[], op: string): { parent: Json; last: string } {
  let cur: Json = doc;
  for (const s of segs.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(s)] : isObject(cur) ? (cur as Record<string, Json>)[s] : undefined;
    if (next === undefined) throw new PatchError(`${op} operation does not apply: doc is missing path: /${segs.join('/')}`);
    cur = next;
  }
  return { parent: cur, last: segs[segs.length - 1]! };
}

function getAt(doc: Json, path: string[], op: string): Json {
  if (path.length === 0) return doc;
  const { parent, last } = parentOf(doc, path, op);
  const v = Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? (parent as Record<string, Json>)[last] : undefined;
  if (v === undefined) throw new PatchError(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  return v;
}

function removeAt(doc: Json, path: string[], op: string): Json {
  const { parent, last } = parentOf(doc, path, op);
  const v = getAt(doc, path, op);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, Json>)[last];
  return v;
}

function addAt(doc: Json, path: string[], value: Json, op: string, replace: boolean): Json {
  if (path.length === 0) return value;
  const { parent, last } = parentOf(doc, path, op);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(`${op} operation does not apply: index ${last} out of bounds`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    (parent as Record<string, Json>)[last] = value;
  } else throw new PatchError(`${op} operation does not apply: parent of /${path.join('/')} is not a container`);
  return doc;
}

/** RFC 6902 operations add, remove, replace, move, copy and test; the whole patch fails if one does. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of patch) {
    if (!isObject(raw)) throw new PatchError('each JSON patch operation must be an object');
    const op = String(raw.op);
    const path = pointer(raw.path);
    switch (op) {
      case 'add':
        doc = addAt(doc, path, structuredClone(raw.value) as Json, op, false);
        break;
      case 'replace':
        getAt(doc, path, op);
        doc = addAt(doc, path, structuredClone(raw.value) as Json, op, true);
        break;
      case 'remove':
        removeAt(doc, path, op);
        break;
      case 'move': {
        const v = removeAt(doc, pointer(raw.from), op);
        doc = addAt(doc, path, v, op, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(getAt(doc, pointer(raw.from), op)), op, false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path, op)) !== JSON.stringify(raw.value)) throw new PatchError(`testing value /${path.join('/')} failed`);
        break;
      default:
        throw new PatchError(`unexpected kind of JSON patch operation: ${JSON.stringify(raw.op)}`);
    }
  }
  return doc;
}
