// Training losses on logits [N, C], averaged over the batch, with their gradient dL/dlogits:
//   labels only:          CE = -log softmax(z)_y
//   teacher only:         T^2 KL(softmax(t/T) || softmax(z/T))     (label-free distillation)
//   labels and teacher:   alpha CE + (1 - alpha) T^2 KL            (Hinton, Vinyals, Dean 2015)
// The T^2 factor keeps the soft term's gradient scale independent of T.
#pragma once
#include <cstdint>
#include <span>

#include "lib/train/buffer.h"

namespace dnnc::train {

struct LossOptions {
  float alpha = 0.5f;        // weight of the hard-label term when both labels and a teacher are given
  float temperature = 4.0f;  // T of the soft term
};

struct LossValue {
  double loss = 0;      // mean over the batch
  int64_t correct = 0;  // argmax(z) == label (or == argmax(teacher) without labels)
};

// labels: empty or N entries; teacher: nullptr or [N, C]. Writes grad [N, C].
LossValue lossAndGrad(const Buf& logits, std::span<const int64_t> labels, const Buf* teacher, const LossOptions& opts,
                      Buf& grad);

// The Gauss-Newton diagonal of the mean cross-entropy with respect to the logits: p (1 - p) / N.
// It does not depend on the labels, so OBD needs none.
void crossEntropyCurvature(const Buf& logits, Buf& seed);

}  // namespace dnnc::train
