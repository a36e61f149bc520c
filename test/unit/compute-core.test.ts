/** Unit checks of the compute layer's pure parts: parameters, key matching, views, .npy round trip, fp16 rounding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectPrefix, matchStateDicts } from '../../src/core/diff';
import { encodeNpy, floatToHalf } from '../../src/core/npyWrite';
import { HALF_TABLE } from '../../src/core/decode';
import { decodeNpy } from '../../src/compute/npyLoad';
import { Params } from '../../src/compute/params';
import { asPermutedPacked, gatherStrided, makeDense } from '../../src/compute/dense';
import { permuteView, viewOf, viewRefusal } from '../../src/compute/views';
import { checkBmm, checkMatmul } from '../../src/compute/shapes';
import { planInterpolate } from '../../src/compute/interpolate';
import { parseProviders } from '../../src/compute/providers';

test('params parse torch spellings', () => {
  const p = Params.parse(['size=7,9', 'align_corners=true', 'dims=(2,0,3,1)', 'scale_factor=1.5', 'dim=None']);
  assert.deepEqual(p.ints('size'), [7, 9]);
  assert.equal(p.bool('align_corners', false), true);
  assert.deepEqual(p.ints('dims'), [2, 0, 3, 1]);
  assert.deepEqual(p.nums('scale_factor'), [1.5]);
  assert.equal(p.has('dim'), false);
  assert.throws(() => Params.parse(['size']), /key=value/);
  assert.throws(() => Params.parse(['size=a']).ints('size'), /numbers/);
});

test('providers parse: auto by default, a list forces an order', () => {
  assert.equal(parseProviders(undefined), 'auto');
  assert.equal(parseProviders([]), 'auto');
  assert.equal(parseProviders(['auto']), 'auto');
  assert.equal(parseProviders('auto'), 'auto');
  assert.deepEqual(parseProviders('webgpu, cpu'), ['webgpu', 'cpu']);
  assert.throws(() => parseProviders('tpu'), /unknown execution provider/);
});

test('state dict matching: prefix detection and torch categories', () => {
  const f = (name: string, shape: number[], dtype: 'float32' | 'float64' = 'float32') => ({ name, shape, dtype });
  assert.deepEqual(detectPrefix(['module.a', 'module.b'], ['a', 'b']), { a: 'module.', b: '' });
  assert.deepEqual(detectPrefix(['a', 'b'], ['_orig_mod.module.a', '_orig_mod.module.b']), { a: '', b: '_orig_mod.module.' });
  assert.equal(detectPrefix(['a'], ['a']), null);
  assert.deepEqual(detectPrefix(['module.a', 'module.b'], ['model.module.a', 'model.module.b']), { a: 'module.', b: 'model.module.' });
  const m = matchStateDicts([f('module.w', [2, 3]), f('module.b', [3]), f('module.gone', [1])], [f('w', [3, 2]), f('b', [3], 'float64'), f('new', [1])]);
  assert.deepEqual(m.missing, ['gone']);
  assert.deepEqual(m.unexpected, ['new']);
  assert.equal(m.shapeMismatch[0].message, 'size mismatch for w: copying a param with shape torch.Size([3, 2]) from checkpoint, the shape in current model is torch.Size([2, 3]).');
  assert.deepEqual(m.dtypeMismatch, [{ key: 'b', aDtype: 'float32', bDtype: 'float64' }]);
  assert.deepEqual(m.matched.map((p) => p.key), ['b']);
});

test('views keep storage; view refusal names reshape', () => {
  const x = makeDense('float32', [2, 3, 4], Float32Array.from({ length: 24 }, (_, i) => i));
  const p = permuteView(x, [2, 0, 1]);
  assert.deepEqual(p.shape, [4, 2, 3]);
  assert.deepEqual(p.stride, [1, 12, 4]);
  assert.equal(p.data, x.data);
  assert.deepEqual(asPermutedPacked(p), { baseShape: [2, 3, 4], perm: [2, 0, 1] });
  assert.deepEqual(Array.from(gatherStrided(p).data as Float32Array).slice(0, 6), [0, 4, 8, 12, 16, 20]);
  assert.match(viewRefusal(p, [24]) ?? '', /reshape\(24\)/);
  assert.throws(() => viewOf(p, [24]), /not possible/);
  assert.deepEqual(viewOf(x, [6, -1]).stride, [4, 1]);
});

test('shape errors are explained before running', () => {
  assert.throws(() => checkBmm([4, 5, 6], [4, 5, 3]), { message: 'bmm expects b×n×m and b×m×p; got 4×5×6 and 4×5×3' });
  assert.deepEqual(checkMatmul([2, 1, 3, 4], [5, 4, 2]), [2, 5, 3, 2]);
  assert.deepEqual(checkMatmul([7], [7]), []);
  assert.throws(() => checkMatmul([5, 7], [6, 3]), /7 ≠ 6/);
  assert.deepEqual(planInterpolate([1, 2, 7, 9], { scaleFactor: [1.5], mode: 'bilinear' }).outSize, [10, 13]);
  assert.throws(() => planInterpolate([1, 2, 7], { size: [5], mode: 'bicubic' }), /needs 4D/);
});

test('.npy write → read round trip, float16 rounding to nearest even', () => {
  const a = { dtype: 'int16' as const, shape: [2, 3], data: Int16Array.of(1, -2, 3, -4, 5, -6) };
  const back = decodeNpy(encodeNpy(a));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(Array.from(back.data as Int16Array), [1, -2, 3, -4, 5, -6]);
  const h = decodeNpy(encodeNpy({ dtype: 'float16', shape: [4], data: Float32Array.of(1 + 2 ** -11, 65504, 1e-8, -0.1) }));
  assert.deepEqual(Array.from(h.data as Float32Array), [1, 65504, 0, HALF_TABLE[floatToHalf(-0.1)]]);
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(floatToHalf(70000), 0x7c00);
});

test('a view result becomes an inspector tensor over the same storage with torch strides', async () => {
  const { resultCheckpoint } = await import('../../src/compute/resultCheckpoint');
  const { readDense } = await import('../../src/core/values');
  const x = makeDense('float32', [2, 3], Float32Array.of(0, 1, 2, 3, 4, 5));
  const cp = resultCheckpoint(permuteView(x, [1, 0]), 'result', 'permute(x, dims=1,0)');
  const t = cp.tensors[0];
  assert.deepEqual(t.stride, [1, 3]);
  assert.equal(t.contiguous, false);
  assert.equal(t.storage?.bytes, 24);
  assert.deepEqual(Array.from((await readDense(t)).data as Float32Array), [0, 3, 1, 4, 2, 5]);
  const h = resultCheckpoint(makeDense('float16', [2], Float32Array.of(1, -2)), 'result', 'half');
  assert.deepEqual(Array.from((await readDense(h.tensors[0])).data as Float32Array), [1, -2]);
});
