/** The CLI's command table. Each module exports `run(args): Promise<number>`; add a line here per command. */
export interface CliCommand {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Record<string, CliCommand> = {
  // inspect:  { summary: 'list every tensor of a checkpoint (--json, --stats)', run: (a) => import('./inspect').then((m) => m.run(a)) },
  // stats, op, metric, diff, probe, autograd are added by their modules' authors.
};
