// ONNX Runtime's own time per node (its session profiler) on one model, for comparing layer by layer
// with dnnc: ms per run of each node of ORT's optimized graph (Conv nodes carry their fused activation in
// the name, and NCHWc-blocked channel counts in the shapes), then the total per op type.
//   node ort_profile.js MODEL --batch 32 --threads 1 [--runs 5] [--top 40]
// The input is uniform random of the model input's shape with N = batch (224x224 images where the model
// leaves the spatial dims free).
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node');

(async () => {
  const args = process.argv.slice(2);
  const model = args[0];
  const opt = { batch: 1, threads: 1, runs: 5, top: 40 };
  for (let i = 1; i + 1 < args.length; i += 2) opt[args[i].replace(/^--/, '')] = Number(args[i + 1]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: opt.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: path.join(dir, 'p'),
  });
  const name = session.inputNames[0];
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  const dims = meta && meta.shape ? meta.shape.map((d, i) => (i === 0 ? opt.batch : typeof d === 'number' ? d : 224))
                                  : [opt.batch, 3, 224, 224];
  const n = dims.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor('float32', Float32Array.from({ length: n }, () => Math.random()), dims);
  for (let i = 0; i < opt.runs; ++i) await session.run({ [name]: x });
  session.endProfiling();
  const file = fs.readdirSync(dir).map(f => path.join(dir, f))[0];
  const events = JSON.parse(fs.readFileSync(file));
  fs.rmSync(dir, { recursive: true });
  const perNode = {}, perOp = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const shapes = e.args.input_type_shape ? JSON.stringify(e.args.input_type_shape.map(o => Object.values(o)[0])) : '';
    const key = `${e.args.op_name} ${e.name.replace(/_kernel_time$/, '')} ${shapes}`;
    perNode[key] = (perNode[key] || 0) + e.dur / 1000 / opt.runs;
    perOp[e.args.op_name] = (perOp[e.args.op_name] || 0) + e.dur / 1000 / opt.runs;
  }
  Object.entries(perNode).sort((a, b) => b[1] - a[1]).slice(0, opt.top)
      .forEach(([k, ms]) => console.log(ms.toFixed(3), k));
  Object.entries(perOp).sort((a, b) => b[1] - a[1]).forEach(([k, ms]) => console.log('op', ms.toFixed(3), k));
})();
