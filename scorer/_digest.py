"""Large outputs: compared by a canonical digest computed in the sandbox, not carried back.

A few inputs have huge outputs (MBPP+ Mbpp/255: lists of ~80,000 tuples, 50-120 MB of JSON);
carrying them through the value channel costs tens of seconds per candidate. For those, the
reference run records a SHA-256 of a canonical, type-strict encoding (sets and dicts sorted,
so equal values give equal digests in any process; lists/tuples of builtin scalars use
their ``repr``, which is canonical and fast; long lists/tuples of numbers the bytes of their
doubles where those are exact, see ``__codeharvest_fast__``; strs of ``LARGE_STR_CHARS`` or
more are always digested), and candidates return only their digest.
The program cannot forge a match without computing the right answer, since it never sees the
expected digest. Caveat, documented: for such outputs (over 8 MB) floats are compared exactly, where EvalPlus
would use ``allclose`` when every element is a float; numbers otherwise compare as in Python.
"""
from __future__ import annotations

LARGE_OUTPUT_BYTES = 8 * 1024 * 1024
# an estimate (``__codeharvest_size__``) below this: far under LARGE_OUTPUT_BYTES (a value
# carried as it is is compared exactly anyway: the estimate only saves building the blob)
SMALL_OUTPUT_BYTES = 1024 * 1024
# per job (the batches of one child: its reports are capped at 64 MiB, the job's answer at
# 256 MiB by the runner): estimated bytes of values after which the rest is deferred to a
# further job
BATCH_VALUE_BUDGET = 24 * 1024 * 1024
REF_FN = "__codeharvest_ref__"
DIGEST_FN = "__codeharvest_digest__"
STR_DIGEST_FN = "__codeharvest_str_digest__"
VALUE_DIGEST_FN = "__codeharvest_value_digest__"
# expected list/tuple outputs estimated at least this large: compared by VALUE_DIGEST_FN where
# that is exact (see scorer._scorer._compare_digest)
LARGE_VALUE_BYTES = 256 * 1024
# expected str outputs at least this long: candidates return the SHA-256 of their str output
# (exact: equal str values <=> equal digests; a non-str output is never equal to a str)
LARGE_STR_CHARS = 256 * 1024

# Runs inside the sandbox (set-up code, before the program); stdlib only.
HELPERS = f'''
def __codeharvest_canon__(x, _json=__import__("json")):
    t = type(x)
    if x is None or t is str:
        return [t.__name__, x]
    if t is int or t is bool:  # numbers as Python compares them: True == 1 == 1.0
        return ["num", hex(x)]
    if t is float:
        if x == x and x not in (float("inf"), float("-inf")) and x == int(x):
            return ["num", hex(int(x))]
        return ["float", repr(x)]
    if t is complex:
        return ["complex", repr(x)]
    if t is bytes:
        return ["bytes", x.hex()]
    if t is list or t is tuple:
        return [t.__name__, [__codeharvest_canon__(i) for i in x]]
    if t is set or t is frozenset:
        return [t.__name__, sorted((__codeharvest_canon__(i) for i in x), key=_json.dumps)]
    if t is dict:
        return ["dict", sorted(([__codeharvest_canon__(k), __codeharvest_canon__(v)]
                                for k, v in x.items()), key=_json.dumps)]
    raise TypeError("no canonical form")

def __codeharvest_plain__(x, _scalars=(str, int, type(None))):
    # lists/tuples of str/int/None only: their repr is canonical (and C-fast)
    if type(x) in _scalars:
        return True
    if type(x) is not list and type(x) is not tuple:
        return False
    stack = [x]
    while stack:
        for i in stack.pop():
            t = type(i)
            if t is list or t is tuple:
                stack.append(i)
            elif t not in _scalars:
                return False
    return True

def __codeharvest_norm__(x, _inf=float("inf")):
    # numbers as Python compares them (True == 1 == 1.0); raises for sets, dicts, others
    t = type(x)
    if t is str or t is int or x is None:
        return x
    if t is bool:
        return int(x)
    if t is float:
        return int(x) if (x == x and -_inf < x < _inf and x == int(x)) else x
    if t is list:
        return [__codeharvest_norm__(i) for i in x]
    if t is tuple:
        return tuple(__codeharvest_norm__(i) for i in x)
    raise TypeError("not plain")

def __codeharvest_fast__(x, _num=frozenset((bool, int, float)),
                         _ok=bytes(b for b in range(256) if 1 <= b & 127 < 67)):
    # a list/tuple of >= 1024 bools/ints/floats: the bytes of its doubles (C speed, where the
    # Python-level norm costs ~0.4 s a million elements), if they are exact and canonical:
    # every |value| in [2**-1007, 2**49), read from the top byte of each double (sign and 7 high
    # exponent bits), so: no int that array("d") rounds (beyond 2**53; rounding is monotone, so
    # such an int gives an out-of-range double), no NaN or inf, no zero (0.0 == -0.0 differ in
    # bytes). Equal values give the same doubles (True -> 1.0, 2 -> 2.0; a zero falls back
    # whatever its sign), so they take the same path in any process. Else None (repr path).
    t = type(x)
    if ((t is not list and t is not tuple) or len(x) < 1024 or type(x[0]) not in _num
            or not set(map(type, x)) <= _num):  # (x[0] first: lists of str etc. at no cost)
        return None
    import array, sys
    try:
        a = array.array("d", x)
    except OverflowError:  # an int beyond the doubles
        return None
    if sys.byteorder == "big":
        a.byteswap()  # little-endian on any machine
    b = a.tobytes()
    if b[7::8].translate(None, _ok):  # some top byte out of range
        return None
    return ("d:" + t.__name__ + ":").encode() + b

def __codeharvest_blob__(x, _json=__import__("json")):
    if isinstance(x, str):  # a str subclass: by its plain value (as REF_FN digests long strs)
        x = str.__str__(x)
    fast = __codeharvest_fast__(x)
    if fast is not None:
        return fast
    if __codeharvest_plain__(x):
        return ("r:" + repr(x)).encode("utf-8", "surrogatepass")
    try:
        return ("r:" + repr(__codeharvest_norm__(x))).encode("utf-8", "surrogatepass")
    except TypeError:
        pass
    return ("j:" + _json.dumps(__codeharvest_canon__(x), separators=(",", ":"))).encode(
        "utf-8", "surrogatepass")

def __codeharvest_size__(x, _depth=0):
    # rough estimate of the encoded size in bytes; large containers are estimated from
    # their first 8 elements (a budget, not a bound: a batch whose report still overflows
    # is re-run one test at a time)
    t = type(x)
    if t is str:
        return len(x) + 8
    if t is bytes:
        return 2 * len(x) + 16
    if t is int:
        return (x.bit_length() >> 1) + 8
    if _depth > 40:
        return 64
    if t is list or t is tuple or t is set or t is frozenset or t is dict:
        n = len(x)
        items = x.items() if t is dict else x
        head = k = 0
        for i in items:
            head += __codeharvest_size__(i, _depth + 1)
            k += 1
            if k == 8:
                break
        return 16 + (head if n <= 8 else head * n // 8)
    return 32

def {DIGEST_FN}(x):
    import hashlib as _hashlib   # here, not at set-up: importing hashlib costs ~10 ms a job
    try:
        return _hashlib.sha256(__codeharvest_blob__(x)).hexdigest()
    except Exception:
        return None

def {STR_DIGEST_FN}(x):
    # large string outputs: a str (or str subclass, as the codec carries it) by its SHA-256
    if not isinstance(x, str):
        return None
    import hashlib as _hashlib
    return _hashlib.sha256(str.__str__(x).encode("utf-8", "surrogatepass")).hexdigest()

def {VALUE_DIGEST_FN}(x):
    # lists/tuples of str/int/float/bool/None: SHA-256 of the repr of their normal form (numbers
    # as Python compares them) or of their doubles (__codeharvest_fast__); anything else None
    # (the host then runs the input by value)
    try:
        blob = __codeharvest_fast__(x)  # the same bytes as __codeharvest_blob__ where it applies
        if blob is None:
            v = x if __codeharvest_plain__(x) else __codeharvest_norm__(x)
            blob = ("r:" + repr(v)).encode("utf-8", "surrogatepass")
    except Exception:
        return None
    import hashlib as _hashlib
    return _hashlib.sha256(blob).hexdigest()

def {REF_FN}(x):
    # long strs: by digest (candidates then return DIGEST_FN of theirs, a str subclass included)
    if isinstance(x, str) and len(str.__str__(x)) >= {LARGE_STR_CHARS}:
        import hashlib as _hashlib
        return (_hashlib.sha256(__codeharvest_blob__(x)).hexdigest(), None)
    # values far below the threshold are carried as they are, without building the blob
    try:
        if __codeharvest_size__(x) <= {SMALL_OUTPUT_BYTES}:
            return (None, x)
    except Exception:
        pass
    import hashlib as _hashlib
    try:
        blob = __codeharvest_blob__(x)
    except Exception:
        return (None, x)
    # doubles take 8 bytes an element where carrying the value costs about its repr: judge
    # those by the size estimate (tri(10**6): 8 MB of doubles, ~26 MB estimated)
    if (__codeharvest_size__(x) if blob[:2] == b"d:" else len(blob)) > {LARGE_OUTPUT_BYTES}:
        return (_hashlib.sha256(blob).hexdigest(), None)
    return (None, x)
'''

BATCH_FN = "__codeharvest_batch__"

# Runs inside the sandbox: many call inputs in one test, each with its own time limit (an
# interval timer, as EvalPlus does), output swallowed (EvalPlus ``swallow_io``); stops after
# ``max_timeouts`` timeouts (EvalPlus stops at the first failure). The helper runs in the
# program's process, which can stop its timer or rewrite its state: the host checks its
# reported times against the runner's clock and re-runs a batch that does not add up one test
# at a time, each under the runner's own limit (``_usable_batch`` in _scorer.py).
BATCH_HELPERS = f'''
class __codeharvest_timeout__(BaseException):
    pass


class __codeharvest_null__:
    # EvalPlus's swallow_io: the program's prints go nowhere
    def write(self, s):
        return len(s)
    def flush(self):
        pass


def __codeharvest_alarm__(signum, frame):
    raise __codeharvest_timeout__()


def __codeharvest_snapshot__(value, _marshal=__import__("marshal"), _copy=__import__("copy"),
                             _atoms=(int, float, str, bool, type(None), bytes, complex)):
    # the output as it is now: values are encoded after the whole batch, and a program that
    # returns one module-level list, refilled on every call, would otherwise show every input
    # its last output (EvalPlus compares each output right after its call)
    if type(value) in _atoms:
        return value
    try:
        return _marshal.loads(_marshal.dumps(value))
    except BaseException:
        try:
            return _copy.deepcopy(value)
        except BaseException:
            return value


def {BATCH_FN}(fn, calls, limits, wraps, max_timeouts, _job={{"used": 0, "timeouts": 0}}):
    # _job: state shared by the batches of one job (one child): value bytes, timeouts.
    # The classes above are made once per child, not per batch (~0.1 ms each time).
    import signal as _signal, sys as _sys, time as _time
    _Timeout = __codeharvest_timeout__

    old = _signal.signal(_signal.SIGALRM, __codeharvest_alarm__)
    # three flat lists (statuses, values, seconds): they cross the value codec at C speed
    statuses, values, times, null = [], [], [], __codeharvest_null__()

    def out_append(status, value, took):
        statuses.append(status)
        values.append(value)
        times.append(took)
    for i in range(len(calls)):
        if max_timeouts is not None and _job["timeouts"] >= max_timeouts:
            out_append("skipped", None, 0.0)
            continue
        if _job["used"] > {BATCH_VALUE_BUDGET}:  # the answer would get too large: the host runs the rest again
            out_append("deferred", None, 0.0)
            continue
        so, se = _sys.stdout, _sys.stderr
        _sys.stdout = _sys.stderr = null
        t0 = _time.perf_counter()
        try:
            try:
                _signal.setitimer(_signal.ITIMER_REAL, limits[i])
                value = fn(*calls[i])
            finally:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
            took = _time.perf_counter() - t0
            if wraps[i] == 1:
                value = {DIGEST_FN}(value)
            elif wraps[i] == 2:
                value = __codeharvest_snapshot__({REF_FN}(value))
            elif wraps[i] == 3:
                value = {STR_DIGEST_FN}(value)
            elif wraps[i] == 4:
                value = {VALUE_DIGEST_FN}(value)
            else:
                value = __codeharvest_snapshot__(value)
            out_append("passed", value, took)
            try:
                _job["used"] += __codeharvest_size__(value)
            except BaseException:
                _job["used"] += {BATCH_VALUE_BUDGET} + 1
        except _Timeout:
            _job["timeouts"] += 1
            out_append("timeout", None, _time.perf_counter() - t0)
        except MemoryError:
            out_append("memory_limit", None, _time.perf_counter() - t0)
        except BaseException as exc:
            try:
                msg = (type(exc).__name__ + ": " + str(exc))[:300]
            except BaseException:
                msg = type(exc).__name__
            out_append("runtime_error", msg, _time.perf_counter() - t0)
        finally:
            _sys.stdout, _sys.stderr = so, se
    _signal.signal(_signal.SIGALRM, old)
    return [statuses, values, times]
'''
HELPERS = HELPERS + BATCH_HELPERS


def str_digest(value: str) -> str:
    """Host side of ``STR_DIGEST_FN``."""
    import hashlib

    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


_HOST: dict = {}


def host_value_digest(value: object) -> str | None:
    """Host side of ``VALUE_DIGEST_FN`` (the same helper source, run on trusted values)."""
    if not _HOST:
        exec(compile(HELPERS, "<codeharvest helpers>", "exec"), _HOST)
    return _HOST[VALUE_DIGEST_FN](value)


def estimated_size(value: object) -> int:
    if not _HOST:
        exec(compile(HELPERS, "<codeharvest helpers>", "exec"), _HOST)
    return _HOST["__codeharvest_size__"](value)
