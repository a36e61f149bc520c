#!/usr/bin/python3
"""Make the core benchmark checkpoint once: 400 x 1024^2 float32 + 4,000 small tensors (about 1.7 GB), torch.save."""
import os
import sys

import torch

out = sys.argv[1]
os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
if os.path.exists(out):
    sys.exit(0)
torch.manual_seed(0)
sd = {}
for i in range(400):
    sd['layers.%d.weight' % i] = torch.randn(1024, 1024)
for j in range(4000):
    sd['small.%d.bias' % j] = torch.randn(16 + j % 48)
tmp = out + '.tmp'
torch.save(sd, tmp)
os.replace(tmp, out)
print('wrote', out, os.path.getsize(out), 'bytes')
