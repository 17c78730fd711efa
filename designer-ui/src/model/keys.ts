// Field keys and ids generated from what the analyst types: Chinese labels become pinyin
// (pinyin-pro, loaded lazily), other text a lower-case slug; a counter keeps them unique.
// The rules mirror `is_field_key` in crates/formwork-model/src/validate.rs.

/** Turns Chinese text into toneless pinyin syllables (pinyin-pro's `pinyin(…, {type:'array'})`). */
export type Transliterate = (text: string) => string[];

/** Words an expression reserves, names every record has, and the expression builtins. */
export const RESERVED_KEYS = new Set([
  'true', 'false', 'none', 'and', 'or', 'not', 'in', 'is', 'if', 'else', 'loop', 'row',
  'id', 'number', 'owner', 'status', 'created_at', 'updated_at', 'submitter', 'now', 'today',
  'range', 'dict', 'debug', 'namespace', 'lipsum', 'cycler', 'joiner', 'days_between', 'coalesce',
]);

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

const MAX_GENERATED = 32;

let transliterate: Transliterate | undefined;

/** Loads pinyin-pro in the background; keys made before it arrives are slugs with a counter. */
export async function loadPinyin(): Promise<Transliterate> {
  if (transliterate) return transliterate;
  const { pinyin } = await import('pinyin-pro');
  transliterate = (text) => pinyin(text, { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true });
  return transliterate;
}

/** The transliterator if it has been loaded. */
export const loadedPinyin = (): Transliterate | undefined => transliterate;

function words(label: string, tr?: Transliterate): string[] {
  const pieces = /[\u3400-\u9fff]/.test(label) && tr ? tr(label) : [label];
  return pieces
    .flatMap((p) => p.toLowerCase().split(/[^a-z0-9]+/))
    .filter(Boolean);
}

/** `base` if free, else `base_2`, `base_3`, … */
export function uniqueKey(base: string, taken: Iterable<string>, reserved = RESERVED_KEYS): string {
  const used = new Set(taken);
  const free = (k: string) => !used.has(k) && !reserved.has(k);
  if (free(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = base.slice(0, 64 - suffix.length) + suffix;
    if (free(candidate)) return candidate;
  }
}

/** A field key for `label`: `项目名称` → `xiang_mu_ming_cheng`, `Due date` → `due_date`. */
export function keyFromLabel(label: string, taken: Iterable<string>, fallback = 'field', tr: Transliterate | null = transliterate ?? null): string {
  let key = '';
  for (const w of words(label, tr ?? undefined)) {
    const next = key ? `${key}_${w}` : w;
    if (next.length > MAX_GENERATED) break;
    key = next;
  }
  if (!key) key = fallback;
  if (!/^[a-z]/.test(key)) key = `${fallback}_${key}`;
  return uniqueKey(key.slice(0, 64), taken);
}

/** An app, form, node or role id for `name` (ids also allow `-`; the same rules otherwise). */
export function idFromName(name: string, taken: Iterable<string>, fallback: string, tr: Transliterate | null = transliterate ?? null): string {
  return keyFromLabel(name, taken, fallback, tr);
}
