# Tensorscope's shape tracer: runs a Python script (with its own argv, working directory and environment)
# under a torch TorchFunctionMode and records, for every torch op called from the user's own files, the line,
# the op, input and output shapes, output dtype and device, and a count. On an uncaught exception it records
# the failing line in the user's files and the op (with its operands' shapes and strides) that raised.
#
#   python tensorscope_trace.py --out TRACE.json [--root DIR]... [--max-seconds S] [--max-ops N]
#                               [--max-records N] -- SCRIPT.py [ARGS...]
#
# The program's stdout/stderr are untouched; the trace goes to --out only. Exit status: the program's.
# Supports torch 1.13 (torch.overrides.TorchFunctionMode) through 2.x, Python 3.8+.
#
# Speed matters (every op of the program passes through here), hence: one dict lookup per stack frame
# (code object -> "is a user file" decided once per code object), shapes kept as torch.Size (hashable, no
# list building), and nothing built at all once a (line, op) holds its maximum number of distinct shapes.
import os
import sys
import time

_THIS_FILE = os.path.abspath(__file__)
MAX_SHAPES = 16  # distinct (inputs, outputs, dtype, device) kept per (line, op)
_ARG_LIMIT = 8  # positional (and keyword) arguments kept for the failing op

# dunder methods reported under torch's own op names
_DUNDER = {
    'add': 'add', 'radd': 'add', 'iadd': 'add_', 'sub': 'sub', 'rsub': 'rsub', 'isub': 'sub_',
    'mul': 'mul', 'rmul': 'mul', 'imul': 'mul_', 'matmul': 'matmul', 'rmatmul': 'matmul', 'imatmul': 'matmul_',
    'truediv': 'div', 'rtruediv': 'div', 'itruediv': 'div_', 'div': 'div', 'rdiv': 'div', 'idiv': 'div_',
    'floordiv': 'floor_divide', 'rfloordiv': 'floor_divide', 'ifloordiv': 'floor_divide_',
    'mod': 'remainder', 'rmod': 'remainder', 'imod': 'remainder_', 'pow': 'pow', 'rpow': 'pow', 'ipow': 'pow_',
    'and': 'bitwise_and', 'rand': 'bitwise_and', 'iand': 'bitwise_and_', 'or': 'bitwise_or', 'ror': 'bitwise_or',
    'ior': 'bitwise_or_', 'xor': 'bitwise_xor', 'rxor': 'bitwise_xor', 'ixor': 'bitwise_xor_',
    'invert': 'bitwise_not', 'neg': 'neg', 'abs': 'abs', 'lshift': 'bitwise_left_shift', 'rshift': 'bitwise_right_shift',
    'getitem': 'getitem', 'setitem': 'setitem',
}


class TraceLimit(BaseException):
    """Raised into the program when a limit is reached (a BaseException, so `except Exception` lets it pass)."""


class _State(object):
    def __init__(self, roots, max_ops, max_records):
        self.roots = roots
        self.max_ops = max_ops
        self.max_records = max_records
        self.user = {}  # code object -> absolute path ('' when not a user file)
        self.files = {}  # co_filename -> absolute path or ''
        self.groups = {}  # (code, line, func or call name) -> [shapes {sig: count}, calls beyond MAX_SHAPES]
        self.calls = set()  # keys of groups that record a user function's or module's return value
        self.ops = 0
        self.dropped = 0  # ops not recorded because max_records (line, op) pairs were already kept
        self.limit = None
        self.stop = False
        self.failure = None  # (exception, info) of the last op that raised
        self.exclude = _excluded_prefixes()

    def classify(self, code):
        fn = code.co_filename
        path = self.files.get(fn)
        if path is None:
            path = self._classify_file(fn)
            self.files[fn] = path
        self.user[code] = path
        return path

    def user_frame(self, f):
        """The nearest frame, from `f` outwards, whose code lives in a user file; None when there is none."""
        user = self.user
        while f is not None:
            code = f.f_code
            path = user.get(code)
            if path is None:
                path = self.classify(code)
            if path:
                return f
            f = f.f_back
        return None

    def _classify_file(self, fn):
        if not fn or fn[0] == '<':
            return ''
        ab = os.path.normcase(os.path.abspath(fn))
        if ab == _THIS_FILE or not fn.endswith(('.py', '.pyw')):
            return ''
        parts = ab.replace('\\', '/').split('/')
        if 'site-packages' in parts or 'dist-packages' in parts:
            return ''
        real = os.path.realpath(ab)
        if any(ab.startswith(p) or real.startswith(p) for p in self.exclude):
            return ''
        for root in self.roots:
            if ab.startswith(root) or real.startswith(root):
                return os.path.abspath(fn)
        return ''


def _excluded_prefixes():
    """The interpreter's own library folders (a root of / or ~ must not make the standard library "user code")."""
    out = set()
    try:
        import sysconfig
        for key in ('stdlib', 'platstdlib', 'purelib', 'platlib'):
            p = sysconfig.get_paths().get(key)
            if p:
                out.add(os.path.join(os.path.normcase(os.path.abspath(p)), ''))
    except Exception:
        pass
    return tuple(out)


def _op_name(func):
    if isinstance(func, str):
        return func
    name = getattr(func, '__name__', None) or type(func).__name__
    if name == '__get__':  # a property such as Tensor.T or Tensor.grad
        name = getattr(getattr(func, '__self__', None), '__name__', name)
    if len(name) > 4 and name.startswith('__') and name.endswith('__'):
        inner = name[2:-2]
        name = _DUNDER.get(inner, inner)
    return name


def _json_value(v, depth=0):
    """A small JSON-able rendering of a non-tensor argument (sizes, dims, flags); None when it is not simple."""
    if v is None or isinstance(v, (bool, int, float, str)):
        if isinstance(v, float) and (v != v or v in (float('inf'), float('-inf'))):
            return str(v)
        return v if not isinstance(v, str) else v[:80]
    if isinstance(v, (list, tuple)) and depth == 0 and len(v) <= 16:
        items = [_json_value(x, 1) for x in v]
        if all(x is not None or y is None for x, y in zip(items, v)):
            return items
    name = type(v).__name__
    if name in ('dtype', 'device', 'memory_format', 'layout'):
        return str(v).replace('torch.', '')
    return None


def _make_mode(torch, state):
    from torch.overrides import TorchFunctionMode
    Tensor = torch.Tensor
    getframe = sys._getframe
    user_frame = state.user_frame
    groups = state.groups
    max_ops = state.max_ops or 0
    max_records = state.max_records
    sequence = (list, tuple)

    def record_failure(exc, func, args, kwargs):
        """The op that raised, for the error report: its tensors' shapes, strides and dtypes, and its other
        arguments in call order (a tensor appears there as {"tensor": i}, i indexing `inputs`)."""
        shapes, strides, dtypes = [], [], []

        def tensor(t):
            shapes.append(list(t.shape))
            try:
                strides.append(list(t.stride()))
            except Exception:  # sparse and other layouts have no strides
                strides.append(None)
            dtypes.append(str(t.dtype).replace('torch.', ''))
            return {'tensor': len(shapes) - 1}

        def arg(a):
            if isinstance(a, Tensor):
                return tensor(a)
            if type(a) in sequence and a and all(isinstance(x, Tensor) for x in a):
                return [tensor(x) for x in a]
            return _json_value(a)

        plain = [arg(a) for a in args[:_ARG_LIMIT]]
        kw = {}
        for k, a in list((kwargs or {}).items())[:_ARG_LIMIT]:
            kw[k] = arg(a)
        state.failure = (exc, {'op': _op_name(func), 'inputs': shapes, 'strides': strides, 'dtypes': dtypes,
                               'args': plain, 'kwargs': kw})

    class ShapeTraceMode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if kwargs is None:
                kwargs = {}
            f = user_frame(getframe(1))
            if state.stop:
                raise TraceLimit(state.limit)
            try:
                out = func(*args, **kwargs)
            except BaseException as e:
                record_failure(e, func, args, kwargs)
                raise
            if f is None:
                return out
            state.ops += 1
            if max_ops and state.ops >= max_ops:
                state.limit = '--max-ops %d reached: the program was stopped' % max_ops
                state.stop = True
            key = (f.f_code, f.f_lineno, func)
            group = groups.get(key)
            if group is not None and len(group[0]) >= MAX_SHAPES:
                group[1] += 1
                return out
            if isinstance(out, Tensor):
                first = out
                outs = (out.shape,)
            elif type(out) in sequence or isinstance(out, tuple):  # tuples include torch.return_types
                outs = tuple([x.shape for x in out if isinstance(x, Tensor)])
                if not outs:
                    return out
                first = next(x for x in out if isinstance(x, Tensor))
            else:
                return out  # sizes, dims, Python numbers: not a tensor result
            if group is None:
                if len(groups) >= max_records:
                    state.dropped += 1
                    return out
                group = groups[key] = [{}, 0]
            ins = []
            for a in args:
                if isinstance(a, Tensor):
                    ins.append(a.shape)
                elif type(a) in sequence:
                    for x in a:
                        if isinstance(x, Tensor):
                            ins.append(x.shape)
            if kwargs:
                for a in kwargs.values():
                    if isinstance(a, Tensor):
                        ins.append(a.shape)
            sig = (tuple(ins), outs, first.dtype, first.device)
            shapes = group[0]
            shapes[sig] = shapes.get(sig, 0) + 1
            return out

    return ShapeTraceMode, record_failure


def _make_call_recorder(torch, state):
    """Credits the tensor result of a function (or module forward) in a user file to the user line that called
    it, so `y = model(x)` shows y's shape although the ops ran inside forward. Returns on_return(frame, value)."""
    Tensor = torch.Tensor
    user_frame = state.user_frame
    groups = state.groups

    def on_return(frame, value):
        if isinstance(value, Tensor):
            outs = (value.shape,)
            first = value
        elif type(value) in (tuple, list) and 0 < len(value) <= 64:
            tensors = [x for x in value if isinstance(x, Tensor)]
            if not tensors:
                return
            outs = tuple(x.shape for x in tensors)
            first = tensors[0]
        else:
            return
        f = user_frame(frame.f_back)
        if f is None:
            return
        name = frame.f_code.co_name
        if name == 'forward':
            owner = frame.f_locals.get('self')
            if owner is not None:
                name = type(owner).__name__
        key = (f.f_code, f.f_lineno, name)
        group = groups.get(key)
        if group is None:
            if len(groups) >= state.max_records:
                state.dropped += 1
                return
            group = groups[key] = [{}, 0]
            state.calls.add(key)
        shapes = group[0]
        if len(shapes) >= MAX_SHAPES:
            group[1] += 1
            return
        sig = ((), outs, first.dtype, first.device)
        shapes[sig] = shapes.get(sig, 0) + 1

    return on_return


def _is_user_function(state, code):
    path = state.user.get(code)
    if path is None:
        path = state.classify(code)
    return bool(path) and code.co_name[:1] != '<'  # not modules, comprehensions, lambdas


def _start_call_recording(torch, state):
    """Returns a function that stops it. Python 3.12+: sys.monitoring, with return events switched on only for
    the user's own code objects (nearly free elsewhere). Older Pythons: sys.settrace with line events off; it
    slows all Python code (CPython runs every frame in its tracing mode), the price of a result per call line."""
    on_return = _make_call_recorder(torch, state)
    monitoring = getattr(sys, 'monitoring', None)
    if monitoring is not None:
        try:
            tool = next(i for i in (4, 3, 5, 2) if monitoring.get_tool(i) is None)
        except StopIteration:
            tool = None
        if tool is not None:
            events = monitoring.events
            getframe = sys._getframe

            def on_start(code, offset):
                if _is_user_function(state, code):
                    monitoring.set_local_events(tool, code, events.PY_RETURN)
                return monitoring.DISABLE

            def on_py_return(code, offset, value):
                f = getframe(1)  # the returning frame, still on the stack
                while f is not None and f.f_code is not code:
                    f = f.f_back
                if f is not None:
                    on_return(f, value)

            monitoring.use_tool_id(tool, 'tensorscope-trace')
            monitoring.register_callback(tool, events.PY_START, on_start)
            monitoring.register_callback(tool, events.PY_RETURN, on_py_return)
            monitoring.set_events(tool, events.PY_START)

            def stop():
                monitoring.set_events(tool, 0)
                monitoring.register_callback(tool, events.PY_START, None)
                monitoring.register_callback(tool, events.PY_RETURN, None)
                monitoring.free_tool_id(tool)

            return stop
    if sys.gettrace() is not None:  # a debugger or coverage tool owns the trace function
        return lambda: None

    def local_trace(frame, event, arg):
        if event == 'return' and arg is not None:
            on_return(frame, arg)
        return local_trace

    def global_trace(frame, event, arg):
        if not _is_user_function(state, frame.f_code):
            return None
        frame.f_trace_lines = False
        return local_trace

    sys.settrace(global_trace)
    return lambda: sys.settrace(None)


def _wrap_getitem_if_needed(torch, mode_cls, mode):
    """torch 1.13 does not send Tensor.__getitem__ to TorchFunctionModes: route it through the mode ourselves."""
    seen = []

    class Probe(mode_cls.__mro__[1]):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(getattr(func, '__name__', ''))
            return func(*args, **(kwargs or {}))

    with Probe():
        torch.zeros(2)[0]
    if '__getitem__' in seen:
        return None
    original = torch.Tensor.__getitem__
    # False inside the mode's own handler (the op being run) and inside torch's printing
    mode_enabled = getattr(torch._C, '_is_torch_function_mode_enabled', lambda: True)

    def __getitem__(self, index):
        if not mode_enabled():
            return original(self, index)
        return mode.__torch_function__(original, (type(self),), (self, index), None)

    torch.Tensor.__getitem__ = __getitem__
    return original


def _tensor_shape_list(sig_part):
    return [list(s) for s in sig_part]


def _render(state):
    ops = []
    for key, (shapes, more) in state.groups.items():
        code, line, func = key
        path = state.user.get(code) or ''
        op = _op_name(func)
        first = True
        for (ins, outs, dtype, device), count in shapes.items():
            entry = {'file': path, 'line': line, 'op': op, 'inputs': _tensor_shape_list(ins),
                     'outputs': _tensor_shape_list(outs), 'dtype': str(dtype).replace('torch.', ''),
                     'device': str(device), 'count': count}
            if key in state.calls:
                entry['call'] = True
            if first and more:
                entry['more'] = more  # calls after MAX_SHAPES distinct shapes were kept (shapes not recorded)
            first = False
            ops.append(entry)
    return ops


def _user_line_of(state, exc):
    """The deepest frame of the traceback that lies in a user file: (path, line)."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        path = state.user.get(code)
        if path is None:
            path = state.classify(code)
        if path:
            where = (path, tb.tb_lineno)
        tb = tb.tb_next
    if where is None and isinstance(exc, SyntaxError) and exc.filename:
        where = (os.path.abspath(exc.filename), exc.lineno or 0)
    return where


def _chain(exc):
    seen = []
    while exc is not None and not any(exc is s for s in seen) and len(seen) < 20:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _error_record(state, exc):
    where = _user_line_of(state, exc)
    message = str(exc)
    if len(message) > 4000:
        message = message[:4000] + '…'
    err = {'file': where[0] if where else None, 'line': where[1] if where else None,
           'type': type(exc).__name__, 'message': message, 'op': None, 'inputs': []}
    if state.failure is not None:
        failed, info = state.failure
        if any(failed is e for e in _chain(exc)):
            err['op'] = info['op']
            err['inputs'] = info['inputs']
            err['strides'] = info['strides']
            err['dtypes'] = info['dtypes']
            err['args'] = info['args']
            err['kwargs'] = info['kwargs']
            if failed is not exc:
                err['cause'] = '%s: %s' % (type(failed).__name__, str(failed)[:2000])
    return err


def _print_user_traceback(exc):
    """The traceback Python would print for the script alone: without runpy's, the tracer's and torch's
    mode-dispatch frames."""
    import traceback
    import runpy
    hidden = (_THIS_FILE, os.path.abspath(runpy.__file__))

    def shown(fs):
        fn = fs.filename
        if fn.startswith('<frozen') or os.path.abspath(fn) in hidden:
            return False
        return not (fs.name == '__torch_function__' and fn.replace('\\', '/').endswith('torch/overrides.py'))

    try:
        frames = [fs for fs in traceback.extract_tb(exc.__traceback__) if shown(fs)]
        text = ''
        if frames:
            text = 'Traceback (most recent call last):\n' + ''.join(traceback.format_list(frames))
        text += ''.join(traceback.format_exception_only(type(exc), exc))
        sys.stderr.write(text)
    except Exception:
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def _parse(argv):
    opts = {'out': None, 'roots': [], 'max_seconds': 0.0, 'max_ops': 0, 'max_records': 20000}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            return opts, argv[i + 1:]
        if i + 1 >= len(argv):
            raise SystemExit('tensorscope_trace: %s needs a value' % a)
        v = argv[i + 1]
        if a == '--out':
            opts['out'] = v
        elif a == '--root':
            opts['roots'].append(v)
        elif a == '--max-seconds':
            opts['max_seconds'] = float(v)
        elif a == '--max-ops':
            opts['max_ops'] = int(v)
        elif a == '--max-records':
            opts['max_records'] = int(v)
        else:
            raise SystemExit('tensorscope_trace: unknown option %s' % a)
        i += 2
    raise SystemExit('tensorscope_trace: usage: --out FILE [--root DIR]... -- SCRIPT [ARGS...]')


def _write(path, doc):
    import json
    tmp = path + '.part'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(doc, f, separators=(',', ':'), allow_nan=False)
    os.replace(tmp, path)


def main(argv):
    opts, rest = _parse(argv)
    if not rest or not opts['out']:
        raise SystemExit('tensorscope_trace: usage: --out FILE [--root DIR]... -- SCRIPT [ARGS...]')
    script = os.path.abspath(rest[0])
    doc = {'version': 1, 'ops': [], 'error': None, 'limit': None, 'dropped': 0, 'exitCode': 0,
           'python': sys.version.split()[0], 'torch': None, 'fatal': None}
    try:
        import torch
        doc['torch'] = torch.__version__
        from torch.overrides import TorchFunctionMode  # noqa: F401 (torch >= 1.13)
    except Exception as e:
        doc['fatal'] = '%s cannot trace: %s: %s (the tracer needs torch 1.13 or newer)' % (sys.executable, type(e).__name__, e)
        doc['exitCode'] = 1
        _write(opts['out'], doc)
        return 1
    roots = [os.path.join(os.path.normcase(os.path.abspath(r)), '') for r in (opts['roots'] or [os.path.dirname(script)])]
    state = _State(roots, opts['max_ops'], max(1, opts['max_records']))
    mode_cls, _ = _make_mode(torch, state)
    mode = mode_cls()
    original_getitem = _wrap_getitem_if_needed(torch, mode_cls, mode)

    timer = None
    if opts['max_seconds'] > 0:
        import threading
        import _thread

        def on_deadline():
            state.limit = '--max-seconds %g reached: the program was stopped' % opts['max_seconds']
            state.stop = True
            _thread.interrupt_main()  # for a program busy outside torch ops

        timer = threading.Timer(opts['max_seconds'], on_deadline)
        timer.daemon = True

    import runpy
    sys.argv = [script] + list(rest[1:])
    sys.path[0] = os.path.dirname(script)
    code = 0
    try:
        if timer is not None:
            timer.start()
        try:
            with mode:
                stop_calls = _start_call_recording(torch, state)
                try:
                    runpy.run_path(script, run_name='__main__')
                finally:
                    stop_calls()
        finally:
            if timer is not None:
                timer.cancel()
            if original_getitem is not None:
                torch.Tensor.__getitem__ = original_getitem
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            sys.stderr.write('%s\n' % (e.code,))
            code = 1
    except (TraceLimit, KeyboardInterrupt) as e:
        if state.limit is None:  # Ctrl-C / cancel: keep what was traced so far
            state.limit = 'interrupted: the program was stopped'
        code = 130 if isinstance(e, KeyboardInterrupt) and not state.stop else 0
    except BaseException as e:
        doc['error'] = _error_record(state, e)
        _print_user_traceback(e)
        code = 1
    try:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not lose the trace being written
    except Exception:
        pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    doc['ops'] = _render(state)
    doc['limit'] = state.limit
    doc['dropped'] = state.dropped
    doc['exitCode'] = code
    _write(opts['out'], doc)
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
