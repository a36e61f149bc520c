/**
 * The shape tracer's result (written by src/debug/python/tensorscope_trace.py as JSON) and its checked parse.
 * One entry of `ops` is one distinct (inputs, outputs, dtype, device) of one op on one line.
 */

/** A plain JSON value (the failing op's non-tensor arguments). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface TraceOp {
  /** absolute path of the user's file */
  file: string;
  /** 1-based line in `file`: the nearest frame in a user file when the op ran */
  line: number;
  /** torch's op name (`conv2d`, `view`, `add`, `getitem`), or the class / function name for `call` entries */
  op: string;
  /** shapes of the tensor arguments (tensors inside lists, as for `cat`, in order); `[]` for calls */
  inputs: number[][];
  /** shapes of the tensor results */
  outputs: number[][];
  /** of the first tensor result */
  dtype: string;
  device: string;
  /** calls with exactly these shapes */
  count: number;
  /** the tensor returned by a function or module forward of the user's own, credited to the line that called it */
  call?: boolean;
  /** calls of this op on this line after the tracer kept its maximum of distinct shapes (their shapes are not kept) */
  more?: number;
}

export interface TraceError {
  /** the deepest line of the traceback in a user file (null when the failure lies outside them) */
  file: string | null;
  line: number | null;
  /** exception class name and message, as Python prints them */
  type: string;
  message: string;
  /** the torch op that raised (null when the exception did not come from a torch op) */
  op: string | null;
  /** shapes of its tensor arguments */
  inputs: number[][];
  /** strides of those arguments (null for layouts without strides) */
  strides?: (number[] | null)[];
  dtypes?: string[];
  /**
   * its positional and keyword arguments as called: a tensor is `{"tensor": i}` (i indexes `inputs`), a list
   * of tensors a list of those, sizes and flags their values, anything else null
   */
  args?: JsonValue[];
  kwargs?: Record<string, JsonValue>;
  /** when the program raised another exception from the op's: the op's exception, `Type: message` */
  cause?: string;
}

export interface TraceResult {
  ops: TraceOp[];
  error: TraceError | null;
  /** why the run stopped early (a limit, an interrupt), else null */
  limit: string | null;
  /** ops not recorded because the cap on recorded (line, op) pairs was reached */
  dropped: number;
  /** the program's exit status */
  exitCode: number;
  python: string;
  torch: string | null;
  /** a reason the tracer could not run the program at all (no torch), else null */
  fatal: string | null;
}

const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d));
const isShapes = (v: unknown): v is number[][] => Array.isArray(v) && v.every(isShape);

function checkOp(o: unknown, i: number): TraceOp {
  const r = o as Record<string, unknown>;
  const ok = r && typeof r === 'object' && typeof r.file === 'string' && Number.isInteger(r.line) && typeof r.op === 'string'
    && isShapes(r.inputs) && isShapes(r.outputs) && typeof r.dtype === 'string' && typeof r.device === 'string' && Number.isInteger(r.count);
  if (!ok) throw new Error(`malformed trace: ops[${i}]`);
  return r as unknown as TraceOp;
}

function checkError(e: unknown): TraceError | null {
  if (e === null || e === undefined) return null;
  const r = e as Record<string, unknown>;
  const ok = typeof r === 'object' && typeof r.type === 'string' && typeof r.message === 'string'
    && (r.file === null || typeof r.file === 'string') && (r.line === null || Number.isInteger(r.line))
    && (r.op === null || typeof r.op === 'string') && isShapes(r.inputs);
  if (!ok) throw new Error('malformed trace: error');
  return r as unknown as TraceError;
}

/** Parses the tracer's JSON; throws one line when it is not the tracer's format. */
export function parseTrace(text: string): TraceResult {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`malformed trace: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.ops)) throw new Error('malformed trace: no ops');
  return {
    ops: doc.ops.map(checkOp),
    error: checkError(doc.error),
    limit: typeof doc.limit === 'string' ? doc.limit : null,
    dropped: typeof doc.dropped === 'number' ? doc.dropped : 0,
    exitCode: typeof doc.exitCode === 'number' ? doc.exitCode : 0,
    python: typeof doc.python === 'string' ? doc.python : '',
    torch: typeof doc.torch === 'string' ? doc.torch : null,
    fatal: typeof doc.fatal === 'string' ? doc.fatal : null,
  };
}
