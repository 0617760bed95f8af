"""`codeharvest report`: one self-contained HTML file, rendered in real headless Chromium.

Chromium is Debian's ``chromium`` package (``apt-get install -y chromium``); the browser tests
skip with that hint where it is absent. Network is blocked for the browser (every host name
resolves to nothing), so any external resource would surface as a console error.
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from collector.cli import main
from tests.unit.test_analytics_data import build_rows, fill_warehouse, outcome, routing_rows
from tests.integration._paths import lay_out

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                    "(apt-get install -y chromium)")


def _graded(o):
    """A CodeBLEU-scored sample: a score, no pass/fail verdict, no error."""
    o.pass_hidden = o.pass_visible = o.error_type = None
    return o


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    rows = routing_rows()
    extra = build_rows([outcome("other", "u1", "cheap", 1.0, cost=0.001), outcome("other", "u1", "mid", 0.0, cost=0.005),
                        outcome("other", "u2", "cheap", 0.0, cost=0.001, error_type="timeout"),
                        outcome("other", "u2", "mid", 1.0, cost=0.005),
                        outcome("other", "u3", "mid", None, score_status="sandbox_error", cost=0.005),
                        _graded(outcome("translate", "t1", "cheap", 0.05, cost=0.001))])
    for table in rows:
        rows[table] += extra[table]
    wh = fill_warehouse(str(root / "wh"), rows)
    out = root / "out" / "report.html"
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", wh, "report", "--out", str(out), "--bootstrap", "300",
              "--pair", "bench=cheap,strong", "--lambdas", "0,0.1,1"])
    assert exc.value.code == 0
    return out


def test_report_is_one_self_contained_file(report):
    text = report.read_text()
    assert list(report.parent.iterdir()) == [report]                  # one file, no side assets
    assert "<script" not in text.lower()
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:|//)", text, re.I)
    assert "@import" not in text and "url(" not in text
    for needle in ("Models", "Oracle gap", "Cost–quality frontier", "Error types per model",
                   "cheap_then_escalate", "sequential oracle over λ", "model strong", "SBS", "infra:sandbox_error",
                   "timeout", "runtime_error"):
        assert needle in text, needle
    assert text.count("class='frontier'") == 3 and text.count("class='errors'") == 3
    graded = text[text.index("<h3>translate</h3>", text.index("Error types per model")):]
    assert "graded" in graded and "passed" not in graded      # a CodeBLEU of 0.05 is no pass


def test_report_bad_arguments(tmp_path, capsys):
    wh = fill_warehouse(str(tmp_path / "wh"), routing_rows(6))
    for args, needle in ([["--pair", "bench=cheap"], "BENCHMARK=CHEAP,STRONG"],
                         [["--pair", "bench=cheap,nope"], "unknown model 'nope'"],
                         [["--pair", "zz=cheap,strong"], "unknown benchmark 'zz'"],
                         [["--benchmarks", "zz"], "unknown benchmark 'zz'"],
                         [["--lambdas", "x"], "lambda 'x' is not a number"],
                         [["--out", str(tmp_path / "r.pdf")], "must end in .html"]):
        with pytest.raises(SystemExit) as exc:
            main(["--warehouse", wh, "report", "--out", str(tmp_path / "r.html"), *args]
                 if "--out" not in args else ["--warehouse", wh, "report", *args])
        err = capsys.readouterr().err.strip().splitlines()
        assert exc.value.code == 2 and len(err) == 1 and needle in err[0], (args, err)
        assert not (tmp_path / "r.html").exists()


def png_unique_rows(path: Path) -> int:
    """Distinct scanlines of a PNG (filter byte included): ~1 for a blank page."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    return len({raw[i:i + stride] for i in range(0, len(raw), stride)})


def render(html: Path, png: Path, size: str = "1280,2200") -> list[str]:
    """Screenshot ``html`` with headless Chromium; return its console messages."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions", "--no-first-run",
         f"--user-data-dir={png.parent / ('profile-' + png.stem)}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", f"--window-size={size}", f"--screenshot={png}", html.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert png.exists(), result.stderr[-2000:]
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


@needs_chromium
def test_report_renders_in_chromium(report, tmp_path):
    # controls: the console check sees errors, the pixel check sees a blank page as blank
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>x</p><script>console.error('boom'); nope();</script></body></html>")
    assert any("boom" in line for line in render(bad, tmp_path / "bad.png", "400,300"))
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    assert render(blank, tmp_path / "blank.png", "400,300") == []
    assert png_unique_rows(tmp_path / "blank.png") <= 3

    console = render(report, tmp_path / "report.png")
    assert console == [], console
    assert png_unique_rows(tmp_path / "report.png") > 500

    # each kind of plot renders on its own (not only the tables around it)
    text = report.read_text()
    for cls in ("frontier", "errors"):
        svg = re.search(rf"<svg[^>]*class='{cls}'.*?</svg>", text, re.S).group(0)
        page = tmp_path / f"{cls}.html"
        page.write_text(f"<!DOCTYPE html><html><body style='margin:0'>{svg}</body></html>")
        assert render(page, tmp_path / f"{cls}.png", "700,450") == []
        assert png_unique_rows(tmp_path / f"{cls}.png") > 30, cls


# ---------------------------------------------------------------- audit regressions (bad input)

@pytest.fixture(scope="module")
def small_wh(tmp_path_factory):
    return fill_warehouse(str(tmp_path_factory.mktemp("small") / "wh"), routing_rows(8))


@pytest.mark.parametrize("args, setup, needle", [
    (["--bootstrap", "-1"], "", "'--bootstrap'"),
    (["--seed", "-1"], "", "'--seed'"),
    (["--out", "{tmp}/d.html"], "d.html/", "is a directory"),
    (["--out", "{tmp}/file/r.html"], "file", "is not a directory"),
    (["--out", "/proc/r.html"], "", "cannot create files in /proc"),
])
def test_report_bad_numbers_and_unwritable_out(small_wh, tmp_path, capsys, args, setup, needle):
    before = lay_out(tmp_path, setup)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "r.html")]
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", small_wh, "report", *args])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert exc.value.code == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("kwargs, message", [
    (dict(bootstrap=-1), "--bootstrap must be an integer >= 0"),
    (dict(seed=-1), "--seed must be an integer >= 0"),
    (dict(lambdas=[float("nan")]), "must be a finite number >= 0"),
])
def test_build_report_checks_its_numbers_up_front(small_wh, kwargs, message):
    """Not silently a report without its routing section."""
    from warehouse import Warehouse, WarehouseError, build_report

    with Warehouse.open(small_wh, create=False) as wh, pytest.raises(WarehouseError, match=message):
        build_report(wh, **kwargs)


def test_a_failed_write_leaves_no_temp_file(small_wh, tmp_path, monkeypatch):
    import warehouse._report as rep
    from warehouse import Warehouse, WarehouseError, write_report

    def full(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rep, "readable_mode", full)          # (the step before the rename)
    with Warehouse.open(small_wh, create=False) as wh, pytest.raises(WarehouseError) as exc:
        write_report(wh, tmp_path / "r.html", bootstrap=10)
    assert str(exc.value) == f"cannot write {tmp_path / 'r.html'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_report_mode_and_a_free_strong_model(tmp_path, capsys):
    import os

    rows = []
    for i in range(8):
        rows.append(outcome("bench", f"t{i}", "api", 1.0 if i % 2 else 0.0, cost=0.003))
        rows.append(outcome("bench", f"t{i}", "local", 1.0, cost=0.0))
    wh = fill_warehouse(str(tmp_path / "wh"), build_rows(rows))
    out = tmp_path / "r.html"
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", wh, "report", "--out", str(out), "--bootstrap", "10", "--pair", "bench=api,local"])
    assert exc.value.code == 0
    text = out.read_text()
    assert "Costs in USD (the strong model has no recorded spend)" in text
    assert "mean strong spend is 1.0" not in text
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask
