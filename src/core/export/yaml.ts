// A small YAML writer for the exports: block mappings and sequences, every string double-quoted as a JSON string
// (JSON's string syntax is a subset of YAML's double-quoted scalars), so no value, whatever it holds, can end a
// scalar, start a comment or a new key. Keys are plain words checked here. Ansible's !unsafe tag marks text that
// Ansible must not template (the agent holds "{#" and "{{"-like text as bash).
export class Unsafe {
  constructor(readonly text: string) {}
}
export type YamlValue = string | number | boolean | null | Unsafe | YamlValue[] | { [k: string]: YamlValue | undefined };

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(v: string | number | boolean | null | Unsafe): string {
  if (v instanceof Unsafe) return `!unsafe ${JSON.stringify(v.text)}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('yaml: not a finite number');
  return String(v);
}

const isScalar = (v: YamlValue): v is string | number | boolean | null | Unsafe => v === null || typeof v !== 'object' || v instanceof Unsafe;

function lines(v: YamlValue, indent: string): string[] {
  if (isScalar(v)) return [indent + scalar(v)];
  if (Array.isArray(v)) {
    if (!v.length) return [`${indent}[]`];
    return v.flatMap((item) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const inner = lines(item, indent + '  ');
      if (Array.isArray(item) && item.length === 0) return [`${indent}- []`];
      return [`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined) as [string, YamlValue][];
  if (!entries.length) return [`${indent}{}`];
  return entries.flatMap(([k, x]) => {
    if (!KEY.test(k)) throw new Error(`yaml: key ${JSON.stringify(k)} is not a plain word`);
    if (isScalar(x)) return [`${indent}${k}: ${scalar(x)}`];
    if (Array.isArray(x) && !x.length) return [`${indent}${k}: []`];
    if (!Array.isArray(x) && !Object.keys(x).length) return [`${indent}${k}: {}`];
    return [`${indent}${k}:`, ...lines(x, indent + '  ')];
  });
}

/** a YAML document: comment lines (each checked to be one line), then the value */
export function toYaml(v: YamlValue, comments: string[] = []): string {
  for (const c of comments) if (/[\r\n]/.test(c)) throw new Error('yaml: a comment must be one line');
  return [...comments.map((c) => (c === '' ? '#' : `# ${c}`)), ...lines(v, '')].join('\n') + '\n';
}
