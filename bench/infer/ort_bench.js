// Times ONNX Runtime (npm onnxruntime-node, CPU) on one model like bench_exec does: median wall time per
// run after warm-up, random input (or --in X.npy), intra-op threads = --threads. Prints one JSON line.
//   node ort_bench.js MODEL --batch 32 --threads 2 [--min-time 2] [--in x.npy] [--out y.npy]
const fs = require('fs');
const ort = require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node');

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const major = buf.readUInt8(6);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', start - headerLen, start);
  if (!header.includes("'descr': '<f4'")) throw new Error(`${file}: expected float32 .npy`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return { data, shape };
}

function writeNpy(file, data, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(Float32Array.from(data).buffer)]));
}

// Standard normal samples from a fixed-seed generator (mulberry32 + Box-Muller).
function randn(n, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

(async () => {
  const args = process.argv.slice(2);
  const model = args[0];
  const opt = { batch: 1, threads: 1, 'min-time': 2, 'min-runs': 5 };
  for (let i = 1; i + 1 < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
  const threads = Number(opt.threads);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  let x;
  if (opt.in) {
    const { data, shape } = readNpy(opt.in);
    x = new ort.Tensor('float32', data, shape);
  } else {
    // Dims from the model metadata where available, else from a dnnc-written input via --in.
    const meta = session.inputMetadata ? session.inputMetadata.find(m => m.name === name) || session.inputMetadata[0] : null;
    const shape = meta && meta.shape ? meta.shape.map((d, i) => (i === 0 ? Number(opt.batch) : typeof d === 'number' ? d : 1)) : null;
    if (!shape) throw new Error('cannot read the input shape; pass --in X.npy');
    x = new ort.Tensor('float32', randn(shape.reduce((a, b) => a * b, 1), 0), shape);
  }
  const feeds = { [name]: x };
  let out;
  for (let w = 0; w < 2; ++w) out = await session.run(feeds);
  const ms = [];
  const cpu0 = process.cpuUsage();  // process CPU time (all threads): robust to descheduling on a busy machine
  const start = process.hrtime.bigint();
  while (ms.length < Number(opt['min-runs']) || Number(process.hrtime.bigint() - start) / 1e9 < Number(opt['min-time'])) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (ms.length >= 100000) break;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / ms.length;
  ms.sort((a, b) => a - b);
  if (opt.out) {
    const t = out[session.outputNames[0]];
    writeNpy(opt.out, Array.from(t.data, Number), t.dims);
  }
  console.log(JSON.stringify({ engine: 'ort', model, batch: x.dims[0], threads, runs: ms.length,
    median_ms: ms[Math.floor(ms.length / 2)], min_ms: ms[0], cpu_ms: cpuMs, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
})().catch(e => { console.error('ort_bench: ' + String(e.message || e).split('\n')[0]); process.exit(1); });
