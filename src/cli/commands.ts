/** The CLI's command table. Each module exports `run(args): Promise<number>`; add a line here per command. */
export interface CliCommand {
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Record<string, CliCommand> = {
  inspect:  { summary: 'list every tensor of a checkpoint (--json, --stats)', run: (a) => import('./inspect').then((m) => m.run(a)) },
  stats:    { summary: 'statistics of all or matching tensors: min, max, mean, std, NaN/Inf, zeros (--json)', run: (a) => import('./stats').then((m) => m.run(a)) },
  op:       { summary: 'run one torch op on .npy tensors through onnxruntime (--in, --param k=v, --ep, --out)', run: (a) => import('./op').then((m) => m.run(a)) },
  metric:   { summary: 'compare a prediction with a target: iou, cc, mae, max_abs_diff, cosine, allclose, kld, sim', run: (a) => import('./metric').then((m) => m.run(a)) },
  'setup-cuda': { summary: 'install onnxruntime\'s CUDA provider (NuGet, SHA-512 checked) and check that it loads', run: (a) => import('./setupCuda').then((m) => m.run(a)) },
  diff:     { summary: 'compare two checkpoints as load_state_dict would, with per-tensor differences (--json)', run: (a) => import('./diff').then((m) => m.run(a)) },
  // stats, op, metric, diff, probe, autograd are added by their modules' authors.
  probe:    { summary: 'run SCRIPT.py under debugpy to --line N and describe tensor --expr (--json)', run: (a) => import('./probe').then((m) => m.run(a)) },
  trace:    { summary: 'run SCRIPT.py and record the shapes of every torch op on each line; explain a shape error (--json)', run: (a) => import('./trace').then((m) => m.run(a)) },
  autograd: { summary: 'run SCRIPT.py to --line N and walk the grad_fn graph of --expr (--json, --dot)', run: (a) => import('./autograd').then((m) => m.run(a)) },
};
