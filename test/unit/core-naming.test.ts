// Naming rules (../shared/corpus/NAMING.md), the bounded content tree, and the shared warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameTensors, pickleWarnings, unlistedStorages } from '../../src/core/naming';
import { PyDict, PyObject, PySet, PyTuple, TorchStorage, TorchTensor, type PyValue } from '../../src/core/pickle/index';

let keyN = 0;
function tensor(shape: number[], opts: { storage?: TorchStorage; offset?: number; stride?: number[]; device?: string } = {}): TorchTensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  const s = opts.storage ?? new TorchStorage(`data/${keyN++}`, 'float32', opts.device ?? 'cpu', numel * 4);
  const stride = opts.stride ?? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return new TorchTensor('float32', shape, stride, opts.offset ?? 0, s, s.device);
}

function dict(entries: Array<[PyValue, PyValue]>, className?: string): PyDict {
  const d = new PyDict(className);
  for (const [k, v] of entries) d.set(k, v);
  return d;
}

function module(className: string, params: Array<[string, PyValue]>, buffers: Array<[string, PyValue]>, children: Array<[string, PyValue]>, nonPersistent: string[] = []): PyObject {
  const m = new PyObject(className, [], 'newobj');
  m.state = dict([
    ['training', true],
    ['_parameters', dict(params, 'collections.OrderedDict')],
    ['_buffers', dict(buffers, 'collections.OrderedDict')],
    ['_non_persistent_buffers_set', new PySet(nonPersistent)],
    ['_modules', dict(children, 'collections.OrderedDict')],
    ['extra_attr', tensor([1])], // a plain tensor attribute: not in state_dict
  ]);
  return m;
}

test('dict keys, int keys, list and tuple indices', () => {
  const root = dict([
    ['model', dict([['conv.weight', tensor([2, 2])]])],
    ['optimizer', dict([['state', dict([[0, dict([['exp_avg', tensor([2])]])]])]])],
    ['list', [tensor([1]), new PyTuple([null, tensor([3])])]],
  ]);
  const { tensors } = nameTensors(root);
  assert.deepEqual(tensors.map((t) => t.name), ['model.conv.weight', 'optimizer.state.0.exp_avg', 'list.0', 'list.1.1']);
});

test('a pickled nn.Module names as state_dict: parameters, persistent buffers, children', () => {
  const conv = module('torch.nn.modules.conv.Conv2d', [['weight', tensor([4, 3, 3, 3])], ['bias', null]], [], []);
  const bn = module('torch.nn.modules.batchnorm.BatchNorm2d', [['weight', tensor([4])]], [['running_mean', tensor([4])], ['scratch', tensor([4])]], [], ['scratch']);
  const net = module('__main__.Net', [], [['scale', tensor([])]], [['conv', conv], ['bn', bn], ['gone', null]]);
  const { tensors, content } = nameTensors(net);
  assert.deepEqual(tensors.map((t) => t.name), ['scale', 'conv.weight', 'bn.weight', 'bn.running_mean']);
  assert.equal((content as { $class: string }).$class, '__main__.Net');
});

test('other objects give their attribute names; a bare tensor is named ""', () => {
  const ns = new PyObject('argparse.Namespace', [], 'newobj');
  ns.state = dict([['lr', 0.1], ['init', tensor([2])]]);
  assert.deepEqual(nameTensors(dict([['args', ns]])).tensors.map((t) => t.name), ['args.init']);
  assert.deepEqual(nameTensors(tensor([3])).tensors.map((t) => t.name), ['']);
});

test('content tree: tensors by name, caps on size and depth, non-finite numbers and big ints as text', () => {
  const t = tensor([2]);
  const longList: PyValue[] = Array.from({ length: 5000 }, (_, i) => i);
  let deep: PyValue = 'bottom';
  for (let i = 0; i < 100; i++) deep = [deep];
  const root = dict([['w', t], ['nan', NaN], ['inf', -Infinity], ['big', 2n ** 80n], ['long', longList], ['deep', deep], ['s', 'x'.repeat(10_000)]]);
  const { content } = nameTensors(root);
  const c = content as Record<string, unknown>;
  assert.deepEqual(c.w, { $tensor: 'w' });
  assert.equal(c.nan, 'NaN');
  assert.equal(c.inf, '-Infinity');
  assert.equal(c.big, (2n ** 80n).toString());
  assert.equal((c.long as unknown[]).length, 1001);
  assert.ok(JSON.stringify(c.deep).length < 400);
  assert.ok((c.s as string).length < 2100);
});

test('warnings: module. prefix, CUDA storages, a small view of a big storage, unsafe globals', () => {
  const big = new TorchStorage('data/big', 'float32', 'cuda:0', 4 * 1_000_000);
  const root = dict([
    ['module.a', tensor([10], { storage: big, offset: 100 })],
    ['module.b', tensor([2], { device: 'cuda:1' })],
  ]);
  const { tensors } = nameTensors(root);
  const w = pickleWarnings(tensors, [{ name: 'os.system', count: 1, unsafe: true }, { name: 'collections.OrderedDict', count: 2, unsafe: false }]);
  assert.ok(w.some((x) => /weights_only=True\) would refuse: os\.system/.test(x)), w.join('\n'));
  assert.ok(w.some((x) => /would run code/.test(x)));
  assert.ok(w.some((x) => /'module\.' prefix/.test(x)));
  assert.ok(w.some((x) => /saved from cuda:0, cuda:1/.test(x)));
  assert.ok(w.some((x) => /not covered by any tensor.*module\.a/.test(x)), w.join('\n'));
  const short = new TorchStorage('data/short', 'float32', 'cpu', 8);
  const past = nameTensors(dict([['p', tensor([4], { storage: short })]]));
  assert.ok(pickleWarnings(past.tensors, []).some((x) => /past the end.*: p$/.test(x)));
  const clean = nameTensors(dict([['a', tensor([3])]]));
  assert.deepEqual(pickleWarnings(clean.tensors, []), []);
});

test('storages that back no listed tensor (non-persistent buffers, plain attributes, tuple state) are reported', () => {
  const scratch = tensor([4]);
  const bn = module('torch.nn.modules.batchnorm.BatchNorm2d', [['weight', tensor([4])]], [['scratch', scratch]], [], ['scratch']);
  const packed = new PyObject('__torch__.torch.classes.quantized.Conv2dPackedParamsBase', [], 'newobj');
  packed.state = new PyTuple(['2', tensor([8, 4]), null]);
  const root = dict([['bn', bn], ['packed', packed]]);
  const { tensors } = nameTensors(root);
  assert.deepEqual(tensors.map((t) => t.name), ['bn.weight']);
  const all: TorchStorage[] = [];
  const collect = (v: PyValue): void => {
    if (v instanceof TorchTensor) { if (v.storage && !all.includes(v.storage)) all.push(v.storage); return; }
    if (v instanceof PyDict) v.values.forEach(collect);
    else if (v instanceof PyTuple) v.items.forEach(collect);
    else if (v instanceof PyObject) { if (v.state !== undefined) collect(v.state); }
  };
  collect(root);
  const warning = unlistedStorages(all, tensors);
  // weight, running scratch, extra_attr, the packed weight: three of four back no listed tensor
  assert.match(warning ?? '', /^3 of the file's 4 storages \(\d+ B\) back no listed tensor/);
  assert.equal(unlistedStorages(all.filter((s) => tensors.some((t) => t.storage?.key === s.key)), tensors), undefined);
  const empty = new TorchStorage('empty', 'float32', 'cpu', 0);
  assert.equal(unlistedStorages([empty], []), undefined, 'empty storages are not counted');
});
