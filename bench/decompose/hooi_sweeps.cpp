// How much each HOOI sweep buys over the HOSVD, to choose decompose-tucker's default sweeps and stopping
// tolerance. For every decomposable Conv of a model, at the ranks decompose-tucker picks (EVBMF, or
// `--ratio R`), it runs N sweeps one at a time from the HOSVD (each call of tucker2From with one sweep
// continues from the factors of the last, so the sequence is the pass's own) and prints one JSON line:
// per sweep, the mean and largest drop of the relative error below the HOSVD's over the layers, the
// params-weighted mean relative error, and the cumulative seconds of the sweeps.
//
//   hooi_sweeps MODEL.onnx [--ratio R] [--sweeps N] [--update subspace|exact]
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include "lib/ir/onnx_io.h"
#include "lib/linalg/svd.h"
#include "lib/linalg/tucker.h"
#include "lib/pass/pipeline.h"
#include "passes/decompose_util.h"
#include "passes/registry.h"

using namespace dnnc;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: hooi_sweeps MODEL.onnx [--ratio R] [--sweeps N] [--update subspace|exact]\n";
    return 2;
  }
  std::string ratio, update = "subspace";
  int sweeps = 30;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--ratio") ratio = argv[i + 1];
    else if (a == "--sweeps") sweeps = std::stoi(argv[i + 1]);
    else if (a == "--update") update = argv[i + 1];
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  auto model = loadModel(argv[1]);
  if (!model) {
    std::cerr << "hooi_sweeps: " << model.error().message() << "\n";
    return 3;
  }
  // The ranks: the pass's own choice, read from its report (HOSVD only, on a copy).
  Model copy = *model;
  auto pipeline = parsePipeline("decompose-tucker(iterations=0" + (ratio.empty() ? "" : ",ratio=" + ratio) + ")", builtinPasses());
  if (!pipeline) {
    std::cerr << "hooi_sweeps: " << pipeline.error().message() << "\n";
    return 2;
  }
  PassContext ctx;
  auto report = runPipeline(copy, *pipeline, builtinPasses(), ctx);
  if (!report) {
    std::cerr << "hooi_sweeps: " << report.error().message() << "\n";
    return 1;
  }
  std::map<std::string, std::pair<int, int>> ranks;  // layer -> (R4, R3)
  for (const auto& r : (*report)[0]["rewrites"])
    ranks[r["details"]["layer"]] = {r["details"]["ranks"][1].get<int>(), r["details"]["ranks"][0].get<int>()};

  Graph graph(model->graph(), model->base_dir);
  ShapeMap shapes = inferShapes(*model);
  const linalg::TuckerOptions one{.max_iterations = 1, .tolerance = -1,
                                  .update = update == "exact" ? linalg::HooiUpdate::Exact : linalg::HooiUpdate::Subspace};
  std::vector<double> drop_sum(sweeps + 1, 0), drop_max(sweeps + 1, 0), weighted(sweeps + 1, 0), seconds(sweeps + 1, 0);
  double weight_sum = 0;
  int layers = 0;
  for (NodeId id : graph.nodes()) {
    if (graph.node(id).op_type() != "Conv") continue;
    std::string why;
    auto layer = decompose::matchConv(graph, id, shapes, why);
    if (!layer || !*layer) continue;
    const auto& l = **layer;
    auto [r4, r3] = ranks.at(l.label);
    linalg::DenseTensor w = decompose::toDense(l.weight);
    linalg::Tucker2 t = linalg::tucker2(w, r4, r3, {.max_iterations = 0});
    const double hosvd = t.error, params = double(w.numel());
    weighted[0] += params * hosvd;
    for (int s = 1; s <= sweeps; ++s) {
      auto start = std::chrono::steady_clock::now();
      t = linalg::tucker2From(w, t.out_factor, t.in_factor, one);
      seconds[s] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      drop_sum[s] += hosvd - t.error;
      drop_max[s] = std::max(drop_max[s], hosvd - t.error);
      weighted[s] += params * t.error;
    }
    weight_sum += params;
    ++layers;
  }
  nlohmann::json rows = nlohmann::json::array();
  double cumulative = 0;
  for (int s = 0; s <= sweeps; ++s) {
    cumulative += seconds[s];
    rows.push_back({{"sweep", s}, {"mean_drop", layers ? drop_sum[s] / layers : 0}, {"max_drop", drop_max[s]},
                    {"weighted_error", weight_sum > 0 ? weighted[s] / weight_sum : 0}, {"seconds", cumulative}});
  }
  std::cout << nlohmann::json{{"model", argv[1]}, {"ratio", ratio.empty() ? "evbmf" : ratio}, {"update", update},
                              {"layers", layers}, {"sweeps", rows}}
                   .dump()
            << "\n";
  return 0;
}
