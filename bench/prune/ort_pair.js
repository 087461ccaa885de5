// Times two ONNX models in ONNX Runtime (npm onnxruntime-node, CPU) in one process, alternating run by
// run (A, B, A, B, ...), so that the load of a shared machine hits both alike. Same random input for
// both. Prints one JSON line: median and min ms of each and the ratio A/B (speed-up of B over A).
//   node ort_pair.js A.onnx B.onnx --batch 32 --threads 1 [--min-time 2] [--min-runs 10]
const ort = require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node');

function randn(n, seed) {  // mulberry32 + Box-Muller, fixed seed
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

async function open(path, threads, batch) {
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const name = session.inputNames[0];
  const meta = session.inputMetadata ? session.inputMetadata.find(m => m.name === name) || session.inputMetadata[0] : null;
  if (!meta || !meta.shape) throw new Error(`${path}: cannot read the input shape`);
  const shape = meta.shape.map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : 1));
  return { session, name, shape };
}

const median = v => { const s = [...v].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

(async () => {
  const args = process.argv.slice(2);
  const opt = { batch: 1, threads: 1, 'min-time': 2, 'min-runs': 10 };
  for (let i = 2; i + 1 < args.length; i += 2) opt[args[i].replace(/^--/, '')] = args[i + 1];
  const batch = Number(opt.batch), threads = Number(opt.threads);
  const a = await open(args[0], threads, batch), b = await open(args[1], threads, batch);
  const x = new ort.Tensor('float32', randn(a.shape.reduce((p, q) => p * q, 1), 0), a.shape);
  const outs = [];
  for (const m of [a, b]) {
    const feeds = { [m.name]: x };
    for (let w = 0; w < 3; ++w) outs.push(await m.session.run(feeds));
  }
  const oa = outs[0][a.session.outputNames[0]], ob = outs[3][b.session.outputNames[0]];
  if (oa.dims.join(',') !== ob.dims.join(',')) throw new Error(`output shapes differ: ${oa.dims} vs ${ob.dims}`);
  const ms = [[], []];
  const start = process.hrtime.bigint();
  while (ms[0].length < Number(opt['min-runs']) || Number(process.hrtime.bigint() - start) / 1e9 < 2 * Number(opt['min-time'])) {
    for (const [k, m] of [[0, a], [1, b]]) {
      const t0 = process.hrtime.bigint();
      await m.session.run({ [m.name]: x });
      ms[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (ms[0].length >= 100000) break;
  }
  const r = {
    runs: ms[0].length, a_median_ms: median(ms[0]), b_median_ms: median(ms[1]),
    a_min_ms: Math.min(...ms[0]), b_min_ms: Math.min(...ms[1]), output_dims: oa.dims,
  };
  r.median_ratio = r.a_median_ms / r.b_median_ms;
  r.min_ratio = r.a_min_ms / r.b_min_ms;
  console.log(JSON.stringify(r));
})().catch(e => { console.error(`ort_pair.js: ${e.message}`); process.exit(3); });
