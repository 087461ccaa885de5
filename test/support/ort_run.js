// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, CPU) for dnnc's integration tests.
// usage: node ort_run.js MODEL OUT_DIR IN0.npy [IN1.npy ...]
// Reads float32 .npy inputs (one per graph input, in order), writes OUT_DIR/output_<i>.npy (float32).
const fs = require('fs');
const path = require('path');
const ort = require(process.env.DNNC_ORT_MODULE || 'onnxruntime-node');

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  if (!header.includes("'descr': '<f4'")) throw new Error(`${file}: expected float32 .npy`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const start = 10 + headerLen;
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
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(Float32Array.from(data).buffer);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

(async () => {
  const [model, outDir, ...inputs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const { data, shape } = readNpy(inputs[i]);
    feeds[name] = new ort.Tensor('float32', data, shape);
  });
  const results = await session.run(feeds);
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    writeNpy(path.join(outDir, `output_${i}.npy`), Array.from(t.data, Number), t.dims);
  });
})().catch(e => { console.error(String(e.message || e).split('\n')[0]); process.exit(1); });
