// The energy/latency model of lib/energy, in one include for the CLI and passes:
//   AcceleratorSpec  loadAcceleratorSpec("eyeriss" | path)         accelerator_spec.h
//   LayerShape       convLayer(...), fcLayer(...)                    layer_shape.h
//   Mapping          searchMapping(spec, layer, objective)           energy_model.h, mapping.h
//   MappingTable     loadMappingFile(path)                           mapping.h
//   LayerCost        evaluate(spec, layer, mapping)                  energy_model.h
//   NetworkCost      evaluateNetwork(spec, layers, options), toJson  network.h
#pragma once
#include "lib/energy/accelerator_spec.h"
#include "lib/energy/energy_model.h"
#include "lib/energy/layer_shape.h"
#include "lib/energy/mapping.h"
#include "lib/energy/network.h"
#include "lib/energy/rlc_size.h"
