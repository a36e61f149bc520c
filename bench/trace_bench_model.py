# The tracer benchmark's workload: a forward pass of 200 torch ops (20 blocks of 10), repeated 50 times.
# `python trace_bench_model.py [REPEATS] [tiny]` prints the CPU seconds the repeated forward passes took (start-up
# and import excluded). `tiny` shrinks the tensors until an op costs little more than its dispatch: the
# tracer's worst case.
import sys
import time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x):
        h = self.norm(x)                       # layer_norm
        h = self.fc1(h)                        # linear
        h = F.gelu(h)                          # gelu
        h = h * torch.sigmoid(h)               # sigmoid, mul
        h = self.fc2(h)                        # linear
        h = h.transpose(1, 2).contiguous()     # transpose, contiguous
        h = h.transpose(1, 2)                  # transpose
        return x + h                           # add


class Net(nn.Module):
    def __init__(self, dim=64, depth=20):
        super().__init__()
        self.blocks = nn.ModuleList(Block(dim) for _ in range(depth))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)                       # 10 ops per block
        return x


tiny = sys.argv[2:] == ['tiny']
net = Net(dim=8 if tiny else 64)
x = torch.randn(1, 4, 8) if tiny else torch.randn(4, 32, 64)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
with torch.no_grad():
    y = net(x)  # warm-up
    t0 = time.process_time()
    for _ in range(repeats):
        y = net(x)
    seconds = time.process_time() - t0
print('%.6f' % seconds)
