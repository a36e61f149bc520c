#!/usr/bin/python3
"""Python references for the core benchmark, each run as its own process (timed from outside):
  stub  PATH   list tensors with zipfile + pickle, storages stubbed (no torch import), print the count
  torch PATH   torch.load and list tensors
  numpy PATH   the same statistics as `inspect --stats` over np.memmap of every data entry:
               min, max, mean, std (ddof=1) over finite values, NaN / Inf / zero counts, 64-bin histogram
"""
import json
import pickle
import sys
import zipfile

mode, path = sys.argv[1], sys.argv[2]


class Stub:
    def __init__(self, *a):
        self.args = a


class StubTensor:
    def __init__(self, storage, offset, size, stride, *rest):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def rebuild(storage, offset, size, stride, *rest):
    return StubTensor(storage, offset, size, stride)


class Lister(pickle.Unpickler):
    def find_class(self, module, name):
        if module == 'torch._utils' and name.startswith('_rebuild_tensor'):
            return rebuild
        if module == 'collections' and name == 'OrderedDict':
            import collections
            return collections.OrderedDict
        if module == 'torch':
            return type(name, (Stub,), {})
        return super().find_class(module, name)

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel)
        return Stub(*pid)


def walk(v, prefix, out):
    if isinstance(v, StubTensor):
        out.append((prefix, v))
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(x, prefix + '.' + str(k) if prefix else str(k), out)
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            walk(x, prefix + '.' + str(i) if prefix else str(i), out)


def stub_listing():
    z = zipfile.ZipFile(path)
    pkl = [n for n in z.namelist() if n.endswith('/data.pkl')][0]
    with z.open(pkl) as f:
        obj = Lister(f).load()
    out = []
    walk(obj, '', out)
    return out


DTYPES = {'FloatStorage': ('float32', 4), 'DoubleStorage': ('float64', 8), 'HalfStorage': ('float16', 2),
          'BFloat16Storage': ('bfloat16', 2), 'LongStorage': ('int64', 8), 'IntStorage': ('int32', 4),
          'ShortStorage': ('int16', 2), 'CharStorage': ('int8', 1), 'ByteStorage': ('uint8', 1), 'BoolStorage': ('bool', 1)}


def listing_json(out):
    # the same facts `inspect --json` prints: name, dtype, shape, stride, offset, contiguity, storage key and bytes
    rows = []
    for name, t in out:
        _, stype, key, location, numel = t.storage.args
        dtype, size = DTYPES.get(getattr(stype, '__name__', ''), ('unknown', 1))
        expected, contiguous = 1, True
        for d, st in zip(reversed(t.size), reversed(t.stride)):
            if d != 1 and st != expected:
                contiguous = False
            expected *= d
        rows.append({'name': name, 'dtype': dtype, 'shape': list(t.size), 'stride': list(t.stride),
                     'storageOffset': t.offset, 'contiguous': contiguous, 'device': location,
                     'storage': {'key': 'data/' + str(key), 'bytes': numel * size}})
    return json.dumps({'format': 'torch-zip', 'tensors': rows})


if mode == 'stub':
    print(listing_json(stub_listing()))
elif mode == 'stub-inprocess':
    import time
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        out = stub_listing()
        listing_json(out)
        n = len(out)
        if i:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print('%.1f %d' % (times[len(times) // 2], n))
elif mode == 'torch':
    import torch
    sd = torch.load(path)
    print(len(sd), 'tensors', sum(t.numel() for t in sd.values()), 'elements')
elif mode == 'numpy':
    import numpy as np
    z = zipfile.ZipFile(path)
    prefix = [n for n in z.namelist() if n.endswith('/data.pkl')][0][:-len('data.pkl')]
    with z.open(prefix + 'data.pkl') as f:
        obj = Lister(f).load()
    out = []
    walk(obj, '', out)
    infos = {i.filename: i for i in z.infolist()}
    raw = open(path, 'rb')
    n = 0
    for name, t in out:
        info = infos[prefix + 'data/' + str(t.storage.args[2])]
        raw.seek(info.header_offset + 26)
        lens = np.frombuffer(raw.read(4), dtype='<u2')
        data_off = info.header_offset + 30 + int(lens[0]) + int(lens[1])
        numel = int(np.prod(t.size)) if t.size else 1
        a = np.memmap(path, dtype=np.float32, mode='r', offset=data_off + 4 * t.offset, shape=(numel,))
        fin = np.isfinite(a)
        nfin = int(fin.sum())
        x = a if nfin == a.size else a[fin]
        s = dict(nan=int(np.isnan(a).sum()), inf=int(np.isinf(a).sum()), zeros=int(np.count_nonzero(a == 0)))
        if x.size:
            mn, mx = float(x.min()), float(x.max())
            s.update(min=mn, max=mx, mean=float(x.mean(dtype=np.float64)), std=float(x.std(ddof=1, dtype=np.float64)) if x.size > 1 else 0.0)
            s['hist'] = np.histogram(x, bins=64, range=(mn, mx) if mx > mn else None)[0]
        n += 1
    print(n, 'tensors with statistics')
