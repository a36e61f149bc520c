/**
 * Parameters typed on one line (Run Op… / Check Metric…): `size=6,6 mode=bilinear`, torch's spelling; values
 * without a name fill the parameters in their signature's order (`0,2,3,1` for permute's dims); `None` or an
 * empty value leaves a parameter unset. And the call's title: `interpolate(conv1.weight, size=6×6, bilinear)`.
 */
import { Params } from './params';

/** The parameters of a line, or throws the reason (unknown name, a value too many). */
export function parseParamLine(line: string, names: readonly string[]): Params {
  const tokens = line.replace(/\s*,\s*/g, ',').trim().split(/\s+/).filter(Boolean);
  const entries: [string, string][] = [];
  let next = 0;
  for (const tok of tokens) {
    const eq = tok.indexOf('=');
    let name: string;
    let value: string;
    if (eq > 0) {
      name = tok.slice(0, eq);
      value = tok.slice(eq + 1);
      if (!names.includes(name)) throw new Error(`no parameter ${name} (parameters: ${names.join(', ') || 'none'})`);
    } else {
      while (next < names.length && entries.some(([n]) => n === names[next])) next++;
      if (next >= names.length) throw new Error(`'${tok}' is one value too many (parameters: ${names.join(', ') || 'none'})`);
      name = names[next++];
      value = tok;
    }
    if (entries.some(([n]) => n === name)) throw new Error(`${name} is given twice`);
    if (value !== '' && value.toLowerCase() !== 'none') entries.push([name, value]);
  }
  return new Params(entries);
}

/** The line to start from: required parameters with an empty value, others with their non-None default. */
export function defaultParamLine(params: Record<string, string>): string {
  return Object.entries(params).filter(([, d]) => d !== 'None').map(([k, d]) => `${k}=${d}`).join(' ');
}

/** `interpolate(conv1.weight, size=6×6, bilinear)`: sizes and shapes with ×, a mode by its value alone. */
export function callTitle(op: string, inputs: readonly string[], params: Params): string {
  const parts = Object.entries(params.toRecord()).map(([k, v]) => {
    const bare = v.replace(/^[[(]|[\])]$/g, '');
    if (k === 'size' || k === 'shape') return `${k}=${bare.split(',').join('×')}`;
    if (k === 'mode') return bare;
    return `${k}=${bare}`;
  });
  return `${op}(${[...inputs, ...parts].join(', ')})`;
}
