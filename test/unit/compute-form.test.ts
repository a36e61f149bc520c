/** Run Op's one parameter line: parsing, the op's checks as it is typed, and the result's title. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDense } from '../../src/compute/dense';
import { checkOp, OPS } from '../../src/compute/ops';
import { callTitle, defaultParamLine, parseParamLine } from '../../src/compute/paramLine';

const interp = OPS.get('interpolate')?.params ?? {};
const names = Object.keys(interp);
const w = makeDense('float32', [8, 3, 3, 3], new Float32Array(216));

test('a parameter line: names, values in signature order, None', () => {
  assert.equal(defaultParamLine(interp), 'mode=nearest');
  assert.equal(defaultParamLine(OPS.get('permute')?.params ?? {}), 'dims=');
  assert.deepEqual(parseParamLine('size=6, 6 mode=bilinear', names).toRecord(), { size: '6,6', mode: 'bilinear' });
  assert.deepEqual(parseParamLine('0,2,3,1', ['dims']).toRecord(), { dims: '0,2,3,1' });
  assert.deepEqual(parseParamLine('6,6 None bilinear', names).toRecord(), { size: '6,6', mode: 'bilinear' });
  assert.deepEqual(parseParamLine('scale_factor=2 align_corners=None', names).toRecord(), { scale_factor: '2' });
  assert.throws(() => parseParamLine('sise=6', names), /^Error: no parameter sise \(parameters: size, scale_factor, mode, align_corners\)$/);
  assert.throws(() => parseParamLine('1 2', ['dim']), /'2' is one value too many/);
  assert.throws(() => parseParamLine('dim=1 dim=2', ['dim']), /dim is given twice/);
});

test('the op\'s checks run on the typed line, before anything runs', () => {
  const check = (op: string, line: string, inputs = [w]) => checkOp(op, inputs, parseParamLine(line, Object.keys(OPS.get(op)?.params ?? {})));
  assert.equal(check('interpolate', 'mode=nearest'), 'interpolate needs exactly one of size or scale_factor');
  assert.equal(check('interpolate', 'size=6,6 mode=bilinear'), null);
  assert.equal(check('interpolate', 'size=6,x mode=bilinear'), 'interpolate: parameter size must be numbers separated by commas, got \'6,x\'');
  assert.match(check('interpolate', 'size=6,6 mode=trilinear') ?? '', /^interpolate: Got 4D input, but trilinear mode needs 5D input/);
  assert.equal(check('permute', 'dims='), 'permute: missing parameter dims (e.g. dims=0,2,3,1)');
  assert.match(check('permute', '0,2,3') ?? '', /^permute: number of dims don't match/);
  assert.equal(check('permute', '0,2,3,1'), null);
  assert.match(check('softmax', 'dim=4') ?? '', /^softmax: Dimension out of range/);
  assert.equal(check('to', 'dtype=float17'), 'to: unknown dtype \'float17\'');
  assert.match(check('bmm', '', [w, w]) ?? '', /^bmm expects b×n×m and b×m×p; got 8×3×3×3/);
});

test('a result is titled by its call', () => {
  assert.equal(callTitle('interpolate', ['conv1.weight'], parseParamLine('size=6,6 mode=bilinear', names)), 'interpolate(conv1.weight, size=6×6, bilinear)');
  assert.equal(callTitle('permute', ['act'], parseParamLine('0,2,3,1', ['dims'])), 'permute(act, dims=0,2,3,1)');
});
