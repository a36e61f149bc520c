/** A small ONNX graph builder over `onnx-proto`: named values, nodes, constants, encoded model bytes. */
import { onnx } from 'onnx-proto';
import type { DTypeName } from '../core/dtype';

export const OPSET = 17;

const ELEM: Partial<Record<DTypeName, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
  uint32: 12, uint64: 13, bfloat16: 16,
};

export function onnxElemType(dtype: DTypeName): number {
  const e = ELEM[dtype];
  if (e === undefined) throw new Error(`dtype ${dtype} has no ONNX element type`);
  return e;
}

/** A dimension: a number, or a name for a symbolic (dynamic) size. */
export type Dim = number | string;

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

function attr(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.FLOAT, f: v.float };
}

function valueInfo(name: string, dtype: DTypeName, shape: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnxElemType(dtype), shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly inits: onnx.ITensorProto[] = [];
  private counter = 0;

  input(name: string, dtype: DTypeName, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  output(name: string, dtype: DTypeName, shape: readonly Dim[] | null): void {
    if (shape === null) {
      this.outputs.push({ name, type: { tensorType: { elemType: onnxElemType(dtype) } } });
    } else {
      this.outputs.push(valueInfo(name, dtype, shape));
    }
  }

  /** Add a node; returns its first output's name (outputs are named automatically unless given). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[]): string {
    const outs = outputs ?? [`${opType.toLowerCase()}_${this.counter++}`];
    this.nodes.push({ opType, input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return outs[0];
  }

  /** Multi-output node. */
  nodeN(opType: string, inputs: string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = Array.from({ length: count }, (_, i) => `${opType.toLowerCase()}_${this.counter}_${i}`);
    this.counter++;
    this.node(opType, inputs, attrs, outs);
    return outs;
  }

  /** An int64 constant (shapes, axes, sizes). */
  int64s(values: readonly number[], scalar = false): string {
    const name = `c${this.counter++}`;
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.inits.push({ name, dataType: onnxElemType('int64'), dims: scalar ? [] : [values.length], rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** A float constant of the given dtype (float32 or float64); `dims` defaults to a scalar. */
  floats(values: ArrayLike<number>, dtype: 'float32' | 'float64' = 'float32', dims: number[] = []): string {
    const name = `c${this.counter++}`;
    const raw = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
    this.inits.push({ name, dataType: onnxElemType(dtype), dims, rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** Encoded ModelProto. */
  encode(name = 'tensorscope'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'tensorscope',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.inits },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
