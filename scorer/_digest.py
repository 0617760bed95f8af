"""Large outputs: compared by a canonical digest computed in the sandbox, not carried back.

A few inputs have huge outputs (MBPP+ Mbpp/255: lists of ~80,000 tuples, 50-120 MB of JSON);
carrying them through the value channel costs tens of seconds per candidate. For those, the
reference run records a SHA-256 of a canonical, type-strict encoding (sets and dicts sorted,
so equal values give equal digests in any process; lists/tuples of builtin scalars use
their ``repr``, which is canonical and fast), and candidates return only their digest.
The program cannot forge a match without computing the right answer, since it never sees the
expected digest. Caveat, documented: for such outputs (over 8 MB) floats are compared exactly, where EvalPlus
would use ``allclose`` when every element is a float; numbers otherwise compare as in Python.
"""
from __future__ import annotations

LARGE_OUTPUT_BYTES = 8 * 1024 * 1024
REF_FN = "__codeharvest_ref__"
DIGEST_FN = "__codeharvest_digest__"

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

def __codeharvest_blob__(x, _json=__import__("json")):
    if __codeharvest_plain__(x):
        return ("r:" + repr(x)).encode("utf-8", "surrogatepass")
    try:
        return ("r:" + repr(__codeharvest_norm__(x))).encode("utf-8", "surrogatepass")
    except TypeError:
        pass
    return ("j:" + _json.dumps(__codeharvest_canon__(x), separators=(",", ":"))).encode(
        "utf-8", "surrogatepass")

def {DIGEST_FN}(x, _hashlib=__import__("hashlib")):
    try:
        return _hashlib.sha256(__codeharvest_blob__(x)).hexdigest()
    except Exception:
        return None

def {REF_FN}(x, _hashlib=__import__("hashlib")):
    try:
        blob = __codeharvest_blob__(x)
    except Exception:
        return (None, x)
    if len(blob) > {LARGE_OUTPUT_BYTES}:
        return (_hashlib.sha256(blob).hexdigest(), None)
    return (None, x)
'''

BATCH_FN = "__codeharvest_batch__"

# Runs inside the sandbox: many call inputs in one test, each with its own time limit (an
# interval timer, as EvalPlus does), output swallowed (EvalPlus ``swallow_io``); stops after
# ``max_timeouts`` timeouts (EvalPlus stops at the first failure). A program that ignores the
# timer or breaks this helper only gets the whole batch re-run one test at a time.
BATCH_HELPERS = f'''
def {BATCH_FN}(fn, calls, limits, wraps, max_timeouts):
    import signal as _signal, sys as _sys, time as _time

    class _Timeout(BaseException):
        pass

    class _Null:
        def write(self, s):
            return len(s)
        def flush(self):
            pass

    def _alarm(signum, frame):
        raise _Timeout()

    old = _signal.signal(_signal.SIGALRM, _alarm)
    out, n_timeouts, null = [], 0, _Null()
    for i in range(len(calls)):
        if max_timeouts is not None and n_timeouts >= max_timeouts:
            out.append(("skipped", None, 0.0))
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
                value = {REF_FN}(value)
            out.append(("passed", value, took))
        except _Timeout:
            n_timeouts += 1
            out.append(("timeout", None, _time.perf_counter() - t0))
        except MemoryError:
            out.append(("memory_limit", None, _time.perf_counter() - t0))
        except BaseException as exc:
            try:
                msg = (type(exc).__name__ + ": " + str(exc))[:300]
            except BaseException:
                msg = type(exc).__name__
            out.append(("runtime_error", msg, _time.perf_counter() - t0))
        finally:
            _sys.stdout, _sys.stderr = so, se
    _signal.signal(_signal.SIGALRM, old)
    return out
'''
HELPERS = HELPERS + BATCH_HELPERS
