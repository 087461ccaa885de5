// Input correlation: how many bits per value feature maps cost when differences are coded instead of values
// (the delta-coding slides of Sze and Emer's tutorial, "Efficient Processing of Deep Neural Networks"; Diffy,
// Mahmoud et al., MICRO 2018: neighbouring activations of imaging networks are similar; EVA2, Buckler et
// al., ISCA 2018, and Euphrates, Zhu et al., ISCA 2018: consecutive video frames are similar).
//
// For every Conv/Gemm/MatMul data input (input 0, the model input included), over a data set, three coded
// streams of the same 16-bit words:
//   raw       the values, quantized to 16-bit fixed point: q = round(x / scale) clamped to [-32767, 32767],
//             with one scale per tensor, scale = max|x| / 32767, max|x| taken over the whole data set
//             (a calibrated per-tensor scale, as a fixed-point accelerator uses; the same scale for all codings).
//   spatial   Diffy's scheme along rows: each value minus its left neighbour along the last axis (W of NCHW),
//             d[c][h][w] = q[c][h][w] - q[c][h][w-1], the first value of each row (w = 0) coded raw.
//   temporal  with frames: each value minus the same position in the previous sample (samples taken in order
//             as consecutive frames of one sequence); the first sample has no predecessor and is not counted
//             (it is a key frame, coded as the raw stream codes it).
// Differences are taken in 16-bit two's-complement arithmetic (modulo 2^16), so every delta fits the same
// 16-bit word and decoding (adding back, modulo 2^16) is exact.
//
// Per stream: the empirical zero-order Shannon entropy of the 16-bit symbols (bits/value), the fraction of
// zero symbols, the mean length of maximal zero runs, and the Eyeriss RLC size (rlc_size.h's rlcPairs on the
// zero-run histogram; runs within each sample's C-order flattening, as feature_rlc.h and the energy model
// count them). The energy workflow feeds these histograms to the energy model for DRAM traffic.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lib/energy/layer_shape.h"
#include "lib/energy/rlc_size.h"
#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc::energy {

inline constexpr int kDeltaWordBits = 16;
inline constexpr int32_t kDeltaMaxLevel = 32767;

// The per-tensor scale for a largest magnitude (1 for an all-zero tensor).
double fixedPointScale(double max_abs);
// x quantized to the 16-bit word, as the symbol stored (two's complement).
uint16_t quantize16(float x, double scale);

// The coded symbols of one sample (C-order), written to `out` (resized).
// Raw: the values' words. Spatial: rows of `width` values, each minus its left neighbour, the first raw.
// Temporal: each minus the word at the same position of `previous` (same size).
void rawSymbols(std::span<const float> x, double scale, std::vector<uint16_t>& out);
void spatialDeltas(std::span<const uint16_t> raw, int64_t width, std::vector<uint16_t>& out);
void temporalDeltas(std::span<const uint16_t> raw, std::span<const uint16_t> previous, std::vector<uint16_t>& out);

// The figures of one coded stream, accumulated over samples.
struct CodedStream {
  std::vector<uint64_t> symbol_counts;  // 65536 entries once a sample was added
  ZeroRunHistogram zero_runs;           // runs within each sample
  uint64_t runs = 0;                    // maximal zero runs
  uint64_t samples = 0;

  uint64_t values() const { return zero_runs.elements; }
  uint64_t zeros() const { return zero_runs.elements - zero_runs.nonzeros; }
  double zeroFraction() const { return zero_runs.zeroFraction(); }
  double meanZeroRun() const { return runs ? double(zeros()) / double(runs) : 0.0; }
  double entropyBitsPerValue() const;
  // Eyeriss RLC bits per value (no rounding to whole words: the expectation over many transfers).
  double rlcBitsPerValue(const RlcParams& p = {}) const;
};

// Adds one sample's symbols to a stream.
void addSample(CodedStream& stream, std::span<const uint16_t> symbols);

struct DeltaStats {
  std::string node, op, value;  // node: its name, or its first output when unnamed (as OnnxLayerInfo::node)
  std::vector<int64_t> sample_dims;  // batch dim dropped
  double max_abs = 0, scale = 1;
  CodedStream raw, spatial, temporal;  // temporal stays empty without frames
};

struct DeltaStatsOptions {
  bool frames = false;  // also the temporal stream
};

// A NodeObserver over the Conv/Gemm/MatMul data inputs. Run the data once with calibrate() true (largest
// magnitudes), then call freeze() and run it again to accumulate the streams.
class DeltaStatsCollector : public NodeObserver {
 public:
  DeltaStatsCollector(const Executor& exec, DeltaStatsOptions options);
  void beforeNode(int index, const onnx::NodeProto& node, std::span<const Value* const> inputs) override;
  void freeze();  // ends calibration: scales from the largest magnitudes seen
  std::vector<DeltaStats> results() const { return stats_; }

 private:
  void measure(DeltaStats& s, size_t slot, const float* x, std::span<const int64_t> dims);
  DeltaStatsOptions options_;
  bool calibrating_ = true;
  std::vector<int> node_index_;
  std::vector<DeltaStats> stats_;
  std::vector<std::vector<uint16_t>> previous_;  // per slot: the last sample's raw words (temporal)
  std::vector<uint16_t> raw_, delta_;
};

// Runs the data twice (calibration, then measurement) and returns one entry per observed input, in graph
// order. With frames, fewer than two samples is an error (Exit::Input). `progress(done, total)` counts
// both passes' samples.
Expected<std::vector<DeltaStats>> collectDeltaStats(Executor& exec, BatchLoader& data, int64_t batch,
                                                    const DeltaStatsOptions& options,
                                                    const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace dnnc::energy
