# Tensorscope's pydevd presentation plugin: what debugpy shows for torch tensors and numpy arrays in
# the debug hover, the Variables view, watches and the Debug Console.
#
# pydevd (inside debugpy) imports every module named `pydevd_plugin*` in the `pydevd_plugins.extensions`
# namespace package on the debuggee's sys.path, and asks the StrPresentationProvider subclasses it finds
# before it calls repr (`_pydevd_bundle/pydevd_xml.py`, `str_from_providers`). Tensorscope's extension
# puts the folder holding this package on PYTHONPATH when it starts a Python debug session.
#
# Rules: metadata only (shape, dtype, device, layout, grad_fn: no statistics, no device sync, no copy
# off the device), a handful of leading values read from CPU tensors only, never import torch or numpy,
# never raise (fall back to repr).
import sys

from _pydevd_bundle.pydevd_extension_api import StrPresentationProvider, TypeResolveProvider

__all__ = ['TensorStrPresentation', 'TensorAttributes']

_PREVIEW = 6  # leading values in the short repr
_ELLIPSIS = '\u2026'


def _module_type(module, name):
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def _is_subclass(type_object, base):
    try:
        return base is not None and isinstance(type_object, type) and issubclass(type_object, base)
    except Exception:
        return False


def _fmt(x):
    if isinstance(x, bool):
        return 'True' if x else 'False'
    if isinstance(x, float):
        text = '%.4g' % x
        return text if any(c in text for c in '.eni') else text + '.'  # `1.` as torch prints a float 1
    if isinstance(x, complex):
        return '%.4g%+.4gj' % (x.real, x.imag)
    return str(x)


def _shape(shape):
    return '[' + ', '.join(str(d) for d in shape) + ']'


def _nested(first_row, shape):
    """`[[v0, v1, …], …]`: the first row of a C-order array, bracketed like the full repr."""
    text = '[' + ', '.join(_fmt(v) for v in first_row)
    if shape[-1] > len(first_row):
        text += ', ' + _ELLIPSIS
    text += ']'
    for d in range(len(shape) - 2, -1, -1):
        text = '[' + text + (', ' + _ELLIPSIS if shape[d] > 1 else '') + ']'
    return text


def _tensor_head(t, torch):
    """`[2, 3, 16, 16] float32 cpu non-contiguous grad_fn=AddBackward0`, and whether values can be read."""
    if getattr(t, 'is_nested', False):
        return 'nested tensor of %d %s %s' % (t.size(0), str(t.dtype).replace('torch.', ''), t.device), False
    parts = [_shape(t.shape), str(t.dtype).replace('torch.', ''), str(t.device)]
    readable = False
    layout = t.layout
    if getattr(t, 'is_meta', False) or t.device.type == 'meta':
        parts.append('no data')
    elif layout != torch.strided:
        name = str(layout).replace('torch.', '')
        try:
            nnz = t._nnz()
        except Exception:
            nnz = None
        parts.append(name if nnz is None else '%s nnz=%d' % (name, nnz))
    elif t.is_quantized:
        try:
            scheme = str(t.qscheme()).replace('torch.', '')
        except Exception:
            scheme = ''
        parts.append(('quantized ' + scheme).strip())
        if scheme.startswith('per_tensor'):
            parts.append('scale=%s zero_point=%d' % (_fmt(t.q_scale()), t.q_zero_point()))
        if not t.is_contiguous():
            parts.append('non-contiguous')
    else:
        if not t.is_contiguous():
            parts.append('non-contiguous')
            if t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last):
                parts.append('channels_last')
        # values only from the host: reading a CUDA (or other device) tensor would sync with it
        readable = t.device.type == 'cpu'
        if readable and t.numel() == 1:
            try:
                parts.append(_fmt(t.detach().reshape(()).item()))
            except Exception:
                pass
    if t.grad_fn is not None:
        parts.append('grad_fn=' + type(t.grad_fn).__name__)
    elif t.requires_grad:
        parts.append('requires_grad')
    return ' '.join(parts), readable


def _tensor_preview(t, torch):
    """`tensor([[0.1, -2.3, …], …])` from at most _PREVIEW leading values (a view of the first row)."""
    name = 'tensor' if type(t) is torch.Tensor else type(t).__name__
    x = t.detach()
    if x.dim() == 0:
        return '%s(%s)' % (name, _fmt(x.item()))
    if x.numel() == 0:
        return '%s([])' % name
    row = x[(0,) * (x.dim() - 1)] if x.dim() > 1 else x
    return '%s(%s)' % (name, _nested(row[:_PREVIEW].tolist(), list(x.shape)))


def tensor_text(t):
    """The presentation of a torch tensor or Parameter: the metadata line, then a short repr."""
    torch = sys.modules['torch']
    head, readable = _tensor_head(t, torch)
    exact = type(t) is torch.Tensor or type(t) is getattr(torch.nn, 'Parameter', None)
    if not (readable and exact):  # subclasses may run Python on indexing: leave their values alone
        return head
    try:
        return head + ' \u00b7 ' + _tensor_preview(t, torch)
    except Exception:
        return head


def ndarray_text(a):
    """The presentation of a numpy array: `[2, 3] float32 cpu non-contiguous · array([[…], …])`."""
    parts = [_shape(a.shape), str(a.dtype), 'cpu']
    if not a.flags['C_CONTIGUOUS']:
        parts.append('non-contiguous')
    numeric = a.dtype.kind in 'biufc'
    if numeric and a.size == 1:
        parts.append(_fmt(a.reshape(()).item()))
    head = ' '.join(parts)
    if not numeric:
        return head
    try:
        if a.ndim == 0:
            return head + ' \u00b7 array(%s)' % _fmt(a.item())
        if a.size == 0:
            return head + ' \u00b7 array([])'
        row = a[(0,) * (a.ndim - 1)] if a.ndim > 1 else a
        return head + ' \u00b7 array(%s)' % _nested(row[:_PREVIEW].tolist(), list(a.shape))
    except Exception:
        return head


def _fallback(val):
    try:
        return repr(val)
    except Exception as e:
        return '<%s: repr failed: %s>' % (type(val).__name__, type(e).__name__)


def present(val):
    """The text for a tensor or an array; repr when anything goes wrong."""
    try:
        if _is_subclass(type(val), _module_type('torch', 'Tensor')):
            return tensor_text(val)
        if _is_subclass(type(val), _module_type('numpy', 'ndarray')):
            return ndarray_text(val)
    except Exception:
        pass
    return _fallback(val)


class TensorStrPresentation(StrPresentationProvider):
    """torch tensors (Parameters and subclasses too) and numpy arrays, in every context but the
    clipboard (Copy Value), which keeps the full repr."""

    def can_provide(self, type_object, type_name):
        return _is_subclass(type_object, _module_type('torch', 'Tensor')) or _is_subclass(type_object, _module_type('numpy', 'ndarray'))

    def get_str(self, val):
        return present(val)

    def get_str_in_context(self, val, context):
        if context == 'clipboard':
            return _fallback(val)
        return present(val)


def _attribute_key(name):
    if name.startswith('__') and name.endswith('__'):
        return (3, name)
    if name.startswith('__'):
        return (2, name)
    if name.startswith('_'):
        return (1, name)
    return (0, name)


class TensorAttributes(TypeResolveProvider):
    """A tensor's children in the Variables view and the hover, as pydevd's default resolver lists them,
    without the attributes that raise for this tensor (`H` of a 4-d tensor, `imag` of a real one), which
    pydevd would otherwise show as whole tracebacks."""

    def can_provide(self, type_object, type_name):
        return _is_subclass(type_object, _module_type('torch', 'Tensor'))

    def resolve(self, var, attribute):
        return getattr(var, attribute)

    def _attributes(self, var):
        import warnings
        try:
            names = dir(var)
        except Exception:
            names = []
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # `.grad` of a non-leaf, `.T` of a 3-d tensor: deprecation chatter
            for name in names:
                if not isinstance(name, str):
                    continue
                try:
                    out.append((name, getattr(var, name)))
                except Exception:
                    continue
        out.sort(key=lambda kv: _attribute_key(kv[0]))
        return out

    def get_dictionary(self, var):
        return dict(self._attributes(var))

    def get_contents_debug_adapter_protocol(self, obj, fmt=None):
        return [(name, value, '.' + name) for name, value in self._attributes(obj)]
