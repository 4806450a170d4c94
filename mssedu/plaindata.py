"""Plain data across the sandbox's wall: JSON plus ``.npy`` arrays, never pickle.

What a submission's kernel hands to the grader (its answers, the notebook's signals, the
source of the student's functions) and what the grader hands back to re-run the student's
code (hidden inputs) crosses a process boundary as *plain data* only: numbers, strings,
``None``, lists, tuples, dicts, numpy arrays (and torch tensors, as arrays), pandas tables
(a ``DataFrame`` or ``Series`` as its columns and index: numeric columns as arrays, text
as lists), a whitelisted dataclass (:class:`mssedu.data.Track`), a module by name, and a
function as its source text.
:func:`encode` turns a value into JSON-able parts and a list of arrays; :func:`decode` turns
them back, reading arrays with ``numpy.load(allow_pickle=False)``, so a hostile submission
can send wrong values but never code to run in the grader.

On a stream (the re-run protocol) a message is one line of JSON (its length first) followed
by its arrays as ``.npy`` bytes: :func:`write_message`, :func:`read_message`.

>>> import numpy as np
>>> parts, arrays = encode({"x": np.arange(3.0), "n": (1, 2.5, "a")})
>>> decode(parts, arrays)["n"]
(1, 2.5, 'a')
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import json
import math
import types

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["encode", "decode", "write_message", "read_message", "Unsupported", "MAX_BYTES",
           "DATACLASSES"]

#: The most bytes one message (or one export) may hold: more is refused, not read.
MAX_BYTES = 512 * 1024 ** 2
#: Dataclasses that travel as their fields (decoded only if named here).
DATACLASSES = ("mssedu.data.Track",)
#: How deep lists and dicts may nest.
_MAX_DEPTH = 20


class Unsupported:
    """A value that is not plain data (its type name is all that crosses)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<not plain data: {self.type_name}>"


def _qualname(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _class(name: str):
    """The class a :data:`DATACLASSES` name imports as (``"mssedu.data.Track"``)."""
    module, cls = name.rsplit(".", 1)
    return getattr(importlib.import_module(module), cls)


def _dataclass_name(value) -> str | None:
    """The public name of ``value``'s class if it is one of :data:`DATACLASSES` (by identity,
    wherever the class is defined)."""
    for name in DATACLASSES:
        if type(value) is _class(name):
            return name
    return None


def _source(fn) -> str | None:
    try:   # IPython keeps each cell's text, so a function defined in a cell has its source
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


def _encode_array(value, arrays: list) -> dict:
    arr = np.asarray(value)
    if arr.dtype.hasobject or arr.dtype.fields is not None:
        return {"__unsupported__": f"array of {arr.dtype}"}
    arrays.append(arr)
    return {"__array__": len(arrays) - 1}


def _encode_column(values, arrays: list, depth: int, seen: dict):
    """One column or index of a pandas table: an array if numeric, else a list of plain values."""
    arr = values.to_numpy()
    if not arr.dtype.hasobject and arr.dtype.fields is None and arr.dtype.kind != "V":
        return _encode_array(arr, arrays)
    return encode_part(arr.tolist(), arrays, depth + 1, seen)   # text, categories, mixed: item by item


def _encode_pandas(value, arrays: list, depth: int, seen: dict):
    """A ``DataFrame`` or ``Series`` as its columns and index; ``None`` when it is neither."""
    if not isinstance(value, (pd.DataFrame, pd.Series)):
        return None
    if isinstance(value.index, pd.MultiIndex) or (isinstance(value, pd.DataFrame)
                                                  and isinstance(value.columns, pd.MultiIndex)):
        return {"__unsupported__": f"{_qualname(value)} with a MultiIndex"}
    index = {"values": _encode_column(value.index, arrays, depth, seen),
             "name": encode_part(value.index.name, arrays, depth + 1, seen)}
    if isinstance(value, pd.Series):
        return {"__series__": {"data": _encode_column(value, arrays, depth, seen), "index": index,
                               "name": encode_part(value.name, arrays, depth + 1, seen)}}
    return {"__dataframe__": {   # by position: column names may repeat
        "names": [encode_part(c, arrays, depth + 1, seen) for c in value.columns],
        "data": [_encode_column(value.iloc[:, i], arrays, depth, seen) for i in range(value.shape[1])],
        "index": index}}


def _encode_special(value, arrays: list, depth: int, seen: dict):
    """Encode what JSON has no word for; ``None`` when ``value`` is not one of them."""
    if isinstance(value, (np.ndarray, np.generic)) and not isinstance(value, np.bool_) and \
            np.asarray(value).ndim > 0:
        return _encode_array(value, arrays)
    if isinstance(value, np.generic):
        return encode_part(value.item(), arrays, depth, seen)
    if type(value).__module__ == "torch" and hasattr(value, "detach"):   # a tensor: as an array
        return _encode_array(value.detach().cpu().numpy(), arrays)
    table = _encode_pandas(value, arrays, depth, seen)
    if table is not None:
        return table
    if isinstance(value, types.ModuleType):
        return {"__module__": value.__name__}
    if isinstance(value, types.FunctionType):   # the student's own: its source; else its home
        return {"__function__": value.__name__, "module": value.__module__,
                "source": _source(value) if value.__module__ == "__main__" else None}
    name = _dataclass_name(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else None
    if name is not None:
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__dataclass__": name, "fields": encode_part(fields, arrays, depth + 1, seen)}
    return None


def encode_part(value, arrays: list, depth: int = 0, seen: dict | None = None):
    """One value as JSON-able parts (arrays appended to ``arrays``); see :func:`encode`."""
    seen = {} if seen is None else seen
    if depth > _MAX_DEPTH:
        return {"__unsupported__": "nested too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 2 ** 63 else {"__unsupported__": "int too large"}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [encode_part(value.real, arrays), encode_part(value.imag, arrays)]}
    if isinstance(value, np.ndarray) and id(value) in seen:   # the same array, once
        return {"__array__": seen[id(value)]}
    special = _encode_special(value, arrays, depth, seen)
    if special is not None:
        if isinstance(value, np.ndarray) and "__array__" in special:
            seen[id(value)] = special["__array__"]
        return special
    if isinstance(value, (list, tuple)):
        items = [encode_part(v, arrays, depth + 1, seen) for v in value]
        return items if type(value) is list else {"__tuple__": items}
    if isinstance(value, dict):
        return {"__dict__": [[encode_part(k, arrays, depth + 1, seen), encode_part(v, arrays, depth + 1, seen)]
                             for k, v in value.items()]}
    return {"__unsupported__": _qualname(value)}


def encode(value) -> tuple:
    """``value`` as JSON-able parts and the arrays they refer to.

    Parameters
    ----------
    value : object
        Plain data (see the module's description); anything else becomes an
        :class:`Unsupported` marker with its type name.

    Returns
    -------
    parts : object
        JSON-able (``json.dumps`` works on it).
    arrays : list of numpy.ndarray
        The arrays, referred to by position.
    """
    arrays: list = []
    return encode_part(value, arrays), arrays


def _decode_dataclass(parts: dict, arrays: list, depth: int):
    name = parts.get("__dataclass__")
    if name not in DATACLASSES:
        raise DataError(f"Refused a value of class {name!r}: only {DATACLASSES} travel as data.")
    fields = decode(parts["fields"], arrays, depth + 1)
    return _class(name)(**fields)


def _decode_pandas(parts: dict, arrays: list, depth: int):
    """The ``DataFrame`` or ``Series`` of :func:`_encode_pandas` (built from plain values only)."""
    def column(p):   # an array or a list of plain values, never anything else
        values = decode(p, arrays, depth + 2)
        if not isinstance(values, (np.ndarray, list)):
            raise DataError("Refused a table whose column is not an array or a list.")
        return values

    table = parts.get("__dataframe__", parts.get("__series__"))
    index = pd.Index(column(table["index"]["values"]), name=decode(table["index"]["name"], arrays, depth + 2))
    if "__series__" in parts:
        return pd.Series(column(table["data"]), index=index, name=decode(table["name"], arrays, depth + 2))
    names = [decode(n, arrays, depth + 2) for n in table["names"]]
    data = [column(c) for c in table["data"]]
    if len(names) != len(data):
        raise DataError("Refused a table with more or fewer names than columns.")
    if any(len(c) != len(index) for c in data):   # pandas would stretch a 1-row column
        raise DataError("Refused a table whose columns are not as long as its index.")
    frame = pd.DataFrame(dict(enumerate(data)), index=index)
    frame.columns = names
    return frame


def _decode_tagged(parts: dict, arrays: list, depth: int):
    if "__array__" in parts:
        return arrays[int(parts["__array__"])]
    if "__tuple__" in parts:
        return tuple(decode(v, arrays, depth + 1) for v in parts["__tuple__"])
    if "__dict__" in parts:
        out = {}
        for k, v in parts["__dict__"]:
            key = decode(k, arrays, depth + 1)
            out[tuple(key) if isinstance(key, list) else key] = decode(v, arrays, depth + 1)
        return out
    if "__float__" in parts:
        return float(parts["__float__"])
    if "__complex__" in parts:
        re_, im = parts["__complex__"]
        return complex(float(re_ if not isinstance(re_, dict) else re_["__float__"]),
                       float(im if not isinstance(im, dict) else im["__float__"]))
    if "__module__" in parts:
        return importlib.import_module(str(parts["__module__"]))
    if "__dataclass__" in parts:
        return _decode_dataclass(parts, arrays, depth)
    if "__dataframe__" in parts or "__series__" in parts:
        return _decode_pandas(parts, arrays, depth)
    if "__unsupported__" in parts:
        return Unsupported(str(parts["__unsupported__"]))
    if "__function__" in parts:
        return Unsupported(f"function {parts['__function__']}")
    raise DataError(f"Refused an unknown kind of value: {sorted(parts)[:3]}.")


def decode(parts, arrays: list, depth: int = 0):
    """The value that :func:`encode` gave ``parts`` and ``arrays`` for.

    A function comes back as :class:`Unsupported`: its source is code, which only the
    sandboxed re-run process (:mod:`mssedu.submission`) executes.

    Parameters
    ----------
    parts : object
        From :func:`encode` (after a JSON round trip).
    arrays : list of numpy.ndarray
        The arrays.
    depth : int
        How deep this value sits (values nested too deep are refused).

    Returns
    -------
    object
        The value.

    Raises
    ------
    DataError
        Malformed parts, a class that is not whitelisted, or nesting too deep.
    """
    if depth > _MAX_DEPTH + 2:
        raise DataError("Refused a value nested too deep.")
    if parts is None or isinstance(parts, (bool, int, float, str)):
        return parts
    if isinstance(parts, list):
        return [decode(v, arrays, depth + 1) for v in parts]
    if isinstance(parts, dict):
        try:
            return _decode_tagged(parts, arrays, depth)
        except (IndexError, KeyError, TypeError, ValueError) as err:
            raise DataError(f"Refused a malformed value: {type(err).__name__}: {err}") from None
    raise DataError(f"Refused a value of JSON type {type(parts).__name__}.")


def write_message(stream, header: dict, arrays=()) -> None:
    """Write ``header`` (JSON) and ``arrays`` (``.npy``) to a binary stream, then flush.

    Parameters
    ----------
    stream : binary file
        Where to write (a pipe).
    header : dict
        JSON-able.
    arrays : sequence of numpy.ndarray
        Sent after the header, in order.
    """
    blobs = []
    for arr in arrays:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
        blobs.append(buf.getvalue())
    text = json.dumps({**header, "__sizes__": [len(b) for b in blobs]}).encode()
    stream.write(f"{len(text)}\n".encode() + text)
    for blob in blobs:
        stream.write(blob)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise DataError("The other side closed the channel in the middle of a message.")
    return data


def read_message(stream, max_bytes: int = MAX_BYTES) -> tuple:
    """Read one message of :func:`write_message`: ``(header, arrays)``.

    Parameters
    ----------
    stream : binary file
        Where to read from.
    max_bytes : int
        The most bytes accepted; a larger message is refused before it is read.

    Returns
    -------
    header : dict
    arrays : list of numpy.ndarray

    Raises
    ------
    DataError
        The channel closed, or a malformed or too large message.
    """
    line = stream.readline(32)
    if not line:
        raise DataError("The other side closed the channel.")
    try:
        n = int(line)
        header = json.loads(_read_exact(stream, n)) if 0 < n <= max_bytes else None
        sizes = [int(s) for s in header.pop("__sizes__")] if isinstance(header, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise DataError("Refused a malformed message.") from None
    if sizes is None or any(s < 0 for s in sizes) or n + sum(sizes) > max_bytes:
        raise DataError(f"Refused a message larger than {max_bytes} bytes or malformed.")
    arrays = []
    for size in sizes:
        try:
            arrays.append(np.load(io.BytesIO(_read_exact(stream, size)), allow_pickle=False))
        except ValueError as err:   # an object array or a bad header: never unpickled
            raise DataError(f"Refused an array: {err}") from None
    return header, arrays
