#!/usr/bin/python3
"""A tiny training loop to debug with Tensorscope ("Tensorscope: debug train.py" in Run and Debug): set a
breakpoint on the `loss.backward()` line, then hover `x`, `logits` or `loss`, open them in the inspector, or show
the autograd graph of `loss`.

    /usr/bin/python3 examples/train.py
"""
import torch
import torch.nn as nn

torch.manual_seed(0)


class TinyNet(nn.Module):
    def __init__(self, n_in=4, hidden=16, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        h = self.relu(self.fc1(x))
        return self.fc2(h)


def main(steps=20):
    model = TinyNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(32, 4)
    target = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()   # 3 classes
    for step in range(steps):
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, target)
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step:2d}  loss {loss.item():.4f}")
    accuracy = (model(x).argmax(dim=1) == target).float().mean()
    print(f"final loss {loss.item():.4f}  accuracy {accuracy.item():.2f}")
    return model


if __name__ == "__main__":
    main()
