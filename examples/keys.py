#!/usr/bin/python3
"""Indexes a state dict by key strings, for hovering string keys while debugging (and for Go to Tensor):
set a breakpoint on the `print` line, then hover the key strings below.

    /usr/bin/python3 examples/keys.py
"""
import os

import torch

here = os.path.dirname(os.path.abspath(__file__))
sd = torch.load(os.path.join(here, "resnet_tiny.pt"))

conv = sd["layer1.0.conv1.weight"]
running_var = sd["layer1.0.bn1.running_var"]
fc_weight = sd["fc.weight"]
tied = sd["head.weight"] is sd["embed.weight"] or sd["head.weight"].data_ptr() == sd["embed.weight"].data_ptr()
print(conv.shape, running_var.mean().item(), fc_weight.norm().item(), "tied:", tied)
