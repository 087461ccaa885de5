#!/usr/bin/python3
"""The HTML reports in a real browser: each kind of `dnnc report` page (energy, energy of two models,
compare, sensitivity, pack, batch, a pipeline run, and a zoo model's energy and pack) is made from real runs,
opened in headless Chromium, and fails the test on any console message, on an <svg> with no marks in the
rendered DOM, or on a screenshot that is blank. The screenshots stay in OUT (build/test-artifacts/report/).

Usage: browser_report_test.py DNNC TEST_DATA ZOO OUT. Exits 77 (ctest: skipped) when Chromium is absent.
"""
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import zlib

SKIP = 77


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
    return r


def make_reports(dnnc, data, zoo, out):
    """Runs dnnc on the bundled models (and one zoo model when the zoo is there); returns {kind: html}."""
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)
    lenet, rescnn = os.path.join(data, "lenet5.onnx"), os.path.join(data, "rescnn.onnx")
    images, labels = os.path.join(data, "fashion_test_2000_images.npy"), os.path.join(data, "fashion_test_2000_labels.npy")
    pre = ["--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"]
    w = lambda name: os.path.join(work, name)
    pages = {}

    def page(kind, inputs):
        path = os.path.join(out, kind + ".html")
        run([dnnc, "report", *inputs, "-o", path, "-q"])
        pages[kind] = path

    run([dnnc, "run", lenet, "-o", w("lenet5.pruned.onnx"), "--passes", "prune-structured(sparsity=0.5)", "-q",
         "--json", w("run.json")])
    page("pipeline", [w("run.json")])
    run([dnnc, "energy", lenet, "--json", w("energy.json"), "-q"])
    page("energy", [w("energy.json")])
    run([dnnc, "energy", lenet, w("lenet5.pruned.onnx"), "--json", w("energy2.json"), "-q"])
    page("energy-two-models", [w("energy2.json")])
    run([dnnc, "compare", lenet, w("lenet5.pruned.onnx"), "--data", images, "--labels", labels, "--limit", "200", *pre,
         "--threads", "1", "--json", w("compare.json"), "-q"])
    page("compare", [w("compare.json")])
    run([dnnc, "sensitivity", lenet, "--data", images, "--labels", labels, "--limit", "200", *pre, "--budget", "2",
         "--json", w("sensitivity.json"), "-q"])
    page("sensitivity", [w("sensitivity.json")])
    train = ["--data", os.path.join(data, "fashion_train_5000_images.npy"), "--labels",
             os.path.join(data, "fashion_train_5000_labels.npy"), *pre, "--limit", "1000"]
    run([dnnc, "adapt", lenet, "-o", w("lenet5.adapted.onnx"), "--budget", "macs=0.6", *train, "--short-samples", "64",
         "--long-epochs", "0", "--val-samples", "200", "--iterations", "4", "--json", w("adapt.json"), "-q"])
    page("adapt", [w("adapt.json")])
    run([dnnc, "pack", w("lenet5.pruned.onnx"), "-o", w("lenet5.pruned.dnnc"), "--json", w("pack.json"), "-q"])
    page("pack", [w("pack.json")])
    models = w("models")
    os.makedirs(models, exist_ok=True)
    for m in (lenet, rescnn):
        shutil.copy(m, models)
    shutil.rmtree(w("batch"), ignore_errors=True)
    evals = f"--data {images} --labels {labels} --limit 100 --scale 1/255 --mean 0.2860 --std 0.3530"
    for recipe, folder in (("prune --sparsity 0.5", "batch"), ("prune --sparsity 0.8", "batch-80")):
        shutil.rmtree(w(folder), ignore_errors=True)
        run([dnnc, "batch", models, "--recipe", recipe, "--eval", evals, "--energy", "--accel eyeriss", "-o", w(folder), "-q"])
    page("batch", [w("batch"), w("batch-80")])
    squeezenet = os.path.join(zoo, "squeezenet1_0.onnx")
    if os.path.exists(squeezenet):
        run([dnnc, "energy", squeezenet, "--json", w("zoo-energy.json"), "-q"])
        run([dnnc, "run", squeezenet, "-o", w("squeezenet.pruned.onnx"), "--passes", "prune-magnitude(sparsity=0.8)", "-q"])
        run([dnnc, "pack", w("squeezenet.pruned.onnx"), "-o", w("squeezenet.dnnc"), "--json", w("zoo-pack.json"), "-q"])
        page("zoo-squeezenet", [w("zoo-energy.json"), w("zoo-pack.json")])
    else:
        print(f"note: no zoo at {zoo}: the zoo model's page is not made")
    return pages


class Svgs(html.parser.HTMLParser):
    """Counts, per <svg> of the rendered DOM, the marks it draws (bars, lines, points)."""

    MARKS = {"rect", "polyline", "circle", "line", "path"}

    def __init__(self):
        super().__init__()
        self.charts = []  # [(label, marks)]
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.depth += 1
            self.charts.append([a.get("aria-label", "?"), 0])
        elif self.depth and tag in self.MARKS and a.get("class") != "background":
            self.charts[-1][1] += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.depth -= 1


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA PNG (what Chromium writes): width, height and rows of (r, g, b)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"FAIL: {path} is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or colour not in (2, 6):
        sys.exit(f"FAIL: {path}: unexpected PNG format (depth {depth}, colour type {colour})")
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, ul = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + left) & 255
            elif f == 2:
                line[i] = (line[i] + up) & 255
            elif f == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif f == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def check_page(browser, page, shots):
    name = os.path.splitext(os.path.basename(page))[0]
    url = "file://" + os.path.abspath(page)
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
             "--no-first-run", "--disable-extensions", f"--user-data-dir={os.path.join(shots, 'profile')}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    failures = []
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l or "Refused to" in l]
    if dom.returncode != 0:
        failures.append(f"chromium --dump-dom exited {dom.returncode}")
    failures += [f"console: {l}" for l in console]
    svgs = Svgs()
    svgs.feed(dom.stdout)
    if not svgs.charts:
        failures.append("no <svg> in the rendered page")
    for label, marks in svgs.charts:
        if marks == 0:
            failures.append(f"chart '{label}' has no marks")
    # Tall enough for the whole page: the charts' heights plus the text around them.
    height = 400 + sum(int(float(h)) + 120 for h in __import__("re").findall(r'<svg[^>]* height="([0-9.]+)"', dom.stdout))
    png = os.path.join(shots, name + ".png")
    shot = subprocess.run([browser, *flags, f"--screenshot={png}", f"--window-size=1280,{min(height, 16000)}", url],
                          capture_output=True, text=True, timeout=120)
    failures += [f"console: {l}" for l in shot.stderr.splitlines() if ":CONSOLE" in l or "Refused to" in l]
    if not os.path.exists(png):
        failures.append("no screenshot")
    else:
        width, h, rows, bpp = png_pixels(png)
        inked = sum(1 for row in rows for i in range(0, width * bpp, bpp) if min(row[i], row[i + 1], row[i + 2]) < 200)
        coloured = sum(1 for row in rows for i in range(0, width * bpp, bpp)
                       if max(row[i], row[i + 1], row[i + 2]) - min(row[i], row[i + 1], row[i + 2]) > 60)
        if inked < 0.01 * width * h or coloured < 2000:
            failures.append(f"screenshot looks blank: {inked} dark and {coloured} coloured pixels of {width}x{h}")
    print(f"{name}: {len(svgs.charts)} charts, screenshot {png}" + ("" if not failures else "\n  " + "\n  ".join(failures)))
    return failures


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    dnnc, data, zoo, out = sys.argv[1:]
    browser = chromium()
    if not browser:
        print("SKIP: Chromium is not installed (Debian: apt-get install chromium; `make test` installs it): "
              "the HTML reports are not checked in a browser")
        return SKIP
    os.makedirs(out, exist_ok=True)
    pages = make_reports(dnnc, data, zoo, out)
    failures = 0
    for kind, page in pages.items():
        failures += len(check_page(browser, page, out))
    if failures:
        print(f"FAIL: {failures} problems in {len(pages)} pages")
        return 1
    print(f"ok: {len(pages)} pages rendered in {browser}; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
