/** The value after a CLI option (`--line 12`), or a one-line error naming the option that lacks it. */
export function optionValue(args: readonly string[], index: number, option: string): string {
  const v = args[index];
  if (v === undefined) throw new Error(`${option} needs a value`);
  return v;
}
