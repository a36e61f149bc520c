#!/usr/bin/python3
"""Writes the sample checkpoints in examples/ with REAL PyTorch (Debian's python3-torch, run as /usr/bin/python3).

    /usr/bin/python3 examples/make_examples.py [OUTDIR]     (default: the folder of this script)

Deterministic (fixed seeds), small (about 100 KB in all). The files are committed; re-run this after changing it.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
np.random.seed(0)


def out(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------- a ResNet-ish model with BN buffers and a tied weight
class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class TinyResNet(nn.Module):
    """conv1/bn1 stem, two residual stages, a classifier, and a token embedding tied to an output head."""

    def __init__(self, c=8, classes=10, vocab=16):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.layer1 = nn.Sequential(BasicBlock(c), BasicBlock(c))
        self.layer2 = nn.Sequential(BasicBlock(c))
        self.fc = nn.Linear(c, classes)
        self.embed = nn.Embedding(vocab, c)
        self.head = nn.Linear(c, vocab, bias=False)
        self.head.weight = self.embed.weight  # tied: one storage, two names

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(x.mean(dim=(2, 3)))


model = TinyResNet()
model.train()
with torch.no_grad():  # move the BN running stats away from their init values
    for _ in range(3):
        model(torch.randn(4, 3, 8, 8))
model.eval()
torch.save(model.state_dict(), out("resnet_tiny.pt"))

# ---------------------------------------------------------------- a training checkpoint: epoch, args, optimizer state
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


mlp = MLP()
opt = torch.optim.Adam(mlp.parameters(), lr=1e-2)
x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
for _ in range(5):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(mlp(x), y)
    loss.backward()
    opt.step()
args = argparse.Namespace(lr=1e-2, batch_size=32, epochs=10, seed=0, arch="mlp")
torch.save({
    "epoch": 5,
    "global_step": 5,
    "best_loss": float(loss),
    "args": args,
    "model": mlp.state_dict(),
    "optimizer": opt.state_dict(),
}, out("training_checkpoint.pt"))

# ---------------------------------------------------------------- views: transpose, slice, channels_last, expand
base = torch.arange(120, dtype=torch.float32).reshape(10, 12)
img = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
row = torch.arange(6, dtype=torch.float32)
torch.save({
    "base": base,
    "transposed": base.t(),                                 # stride [1, 12], shares base's storage
    "rows_2_to_5": base[2:5],                               # storage offset 24
    "every_other_column": base[:, ::2],                     # stride [12, 2]
    "channels_last": img.contiguous(memory_format=torch.channels_last),
    "expanded": row.expand(4, 6),                           # stride [0, 1]
    "half": torch.linspace(-1, 1, 16).to(torch.float16),
    "mask": torch.arange(10) % 3 == 0,
}, out("views.pt"))

# ---------------------------------------------------------------- the legacy (pre-1.6, non-zip) format
torch.save({
    "weight": torch.randn(4, 3),
    "bias": torch.zeros(4),
    "counts": torch.arange(5, dtype=torch.int64),
}, out("legacy_format.pt"), _use_new_zipfile_serialization=False)

# ---------------------------------------------------------------- numpy: .npy and .npz
np.save(out("array.npy"), np.linspace(0, 1, 24, dtype=np.float32).reshape(2, 3, 4))
np.savez(out("arrays.npz"),
         weights=np.random.randn(5, 3).astype(np.float64),
         labels=np.arange(7, dtype=np.int32),
         flags=np.array([True, False, True]))


# ---------------------------------------------------------------- safetensors, written by hand (no safetensors package)
def save_safetensors(path, tensors, metadata=None):
    """The format: u64 little-endian header size, a JSON header (name -> dtype, shape, data_offsets), the bytes."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
             torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL", torch.float64: "F64"}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


save_safetensors(out("model.safetensors"), {
    "encoder.weight": torch.randn(8, 4),
    "encoder.bias": torch.zeros(8),
    "decoder.weight": torch.randn(4, 8).to(torch.bfloat16),
    "position_ids": torch.arange(16, dtype=torch.int64),
}, metadata={"format": "pt"})

for f in sorted(os.listdir(OUT)):
    p = os.path.join(OUT, f)
    if os.path.isfile(p) and not f.endswith((".py", ".md")):
        print(f"{os.path.getsize(p):8d}  {f}")
