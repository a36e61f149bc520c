#!/usr/bin/env python3
"""Reference timings for bench/compute-bench.ts: the same ops in PyTorch, median ms over REPS runs.

usage: python3 bench/compute_torch_bench.py [cpu|cuda] [--big | --small] [--serve]
  prints one JSON object {name: ms}; with --serve it prints the case names (one JSON line), then reads a case
  name per line and answers with the ms of one run of it, so that a caller can interleave its own runs.
cuda times are end to end from host tensors: host→device copies, the op, synchronize, device→host copy.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

device = sys.argv[1] if len(sys.argv) > 1 else 'cpu'
big = '--big' in sys.argv
small = '--small' in sys.argv
REPS = int(next((a.split('=')[1] for a in sys.argv if a.startswith('--reps=')), '5'))
torch.manual_seed(0)
import os  # noqa: E402
torch.set_num_threads(int(os.environ.get('BENCH_THREADS', os.cpu_count() or 1)))


def run_ms(fn):
    """ms of one run of fn, the device synchronized before and after"""
    if device == 'cuda':
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device == 'cuda':
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1000


def timed(fn):
    fn()
    return statistics.median(run_ms(fn) for _ in range(REPS))


def e2e(op, *host):
    """the op from host tensors to a host result (on cuda: including both copies)"""
    if device == 'cpu':
        return lambda: op(*host)
    return lambda: op(*[h.to('cuda', non_blocking=False) for h in host]).cpu()


n = 1024 if big else 128 if small else 512
a, b = torch.randn(8, n, n), torch.randn(8, n, n)
s = 512 if big else 64 if small else 256
c = 8 if small else 64
img = torch.randn(1, c, s, s)
mb, mn = (4, 256) if small else (16, 1024)
pred, target = torch.rand(mb, mn, mn), torch.rand(mb, mn, mn)
fns = {}
fns[f'bmm 8x{n}^3'] = (e2e(torch.bmm, a, b))
for mode in ('nearest', 'bilinear', 'bicubic', 'area'):
    ac = False if mode in ('bilinear', 'bicubic') else None
    fns[f'interpolate {mode} 1x{c}x{s}^2 x2'] = (e2e(lambda x, m=mode, c=ac: F.interpolate(x, scale_factor=2, mode=m, align_corners=c) if m != 'area' else F.interpolate(x, size=(2 * s, 2 * s), mode='area'), img))
fns[f'metric mae {mb}x{mn}^2'] = (e2e(lambda p, t: (p - t).abs().mean(), pred, target))
fns[f'metric max_abs_diff {mb}x{mn}^2'] = (e2e(lambda p, t: (p - t).abs().max(), pred, target))
fns[f'metric iou {mb}x{mn}^2'] = (e2e(lambda p, t: ((p >= 0.5) & (t >= 0.5)).sum() / ((p >= 0.5) | (t >= 0.5)).sum(), pred, target))
fns[f'metric cosine {mb}x{mn}^2'] = (e2e(lambda p, t: F.cosine_similarity(p.flatten(), t.flatten(), dim=0), pred, target))
fns[f'metric cc {mb}x{mn}^2'] = (e2e(lambda p, t: torch.corrcoef(torch.stack([p.flatten(), t.flatten()]))[0, 1], pred, target))
def kld(p, t):
    p, t = p / p.sum(), t / t.sum()
    return (t * torch.log(1e-12 + t / (p + 1e-12))).sum()
fns[f'metric kld {mb}x{mn}^2'] = (e2e(kld, pred, target))
# chained (on cuda: kept on the device, one host→device and one device→host copy)
fns[f'chain interpolate+softmax+sum 1x{c}x{s}^2'] = (e2e(lambda x: F.softmax(F.interpolate(x, scale_factor=2, mode='bilinear'), 1).sum(1), img))
head = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'device': device}
if '--serve' in sys.argv:
    print(json.dumps({**head, 'cases': list(fns)}), flush=True)
    for line in sys.stdin:
        print(run_ms(fns[line.strip()]), flush=True)
else:
    print(json.dumps({**head, 'ms': {k: timed(f) for k, f in fns.items()}}))
