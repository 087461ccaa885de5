#include <catch2/catch.hpp>
#include <cmath>
#include <onnx/onnx_pb.h>

#include "lib/ir/tensor.h"

using namespace dnnc;

TEST_CASE("readTensor reads raw_data and typed fields alike") {
  onnx::TensorProto raw;
  raw.set_name("w");
  raw.set_data_type(onnx::TensorProto::FLOAT);
  raw.add_dims(2), raw.add_dims(3);
  float values[6] = {1, -2, 3, 0, 5, -6};
  raw.set_raw_data(reinterpret_cast<const char*>(values), sizeof values);
  onnx::TensorProto typed = raw;
  typed.clear_raw_data();
  for (float v : values) typed.add_float_data(v);
  for (const auto* p : {&raw, &typed}) {
    auto t = readTensor(*p, ".");
    REQUIRE(t.ok());
    CHECK(t->numel() == 6);
    CHECK(t->countNonzero() == 5);
    CHECK(t->asMatrix()(1, 2) == -6.0f);
    CHECK(t->asMatrix().rows() == 2);
  }
}

TEST_CASE("readTensor rejects raw_data whose length does not match the dims") {
  onnx::TensorProto p;
  p.set_name("bad");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(4);
  p.set_raw_data(std::string(12, '\0'));
  auto t = readTensor(p, ".");
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code() == Exit::Input);
  CHECK_THAT(t.error().message(), Catch::Contains("raw_data holds 12 bytes"));
  CHECK_FALSE(validateTensorData(p, ".").ok());
}

TEST_CASE("absurd and negative dims fail before any allocation") {
  onnx::TensorProto p;
  p.set_name("huge");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(int64_t{1} << 40);
  p.set_raw_data(std::string(16, '\0'));
  auto t = readTensor(p, ".");
  REQUIRE_FALSE(t.ok());
  CHECK_THAT(t.error().message(), Catch::Contains("absurd"));

  onnx::TensorProto q;
  q.set_name("neg");
  q.set_data_type(onnx::TensorProto::FLOAT);
  q.add_dims(-3);
  CHECK_THAT(readTensor(q, ".").error().message(), Catch::Contains("negative"));

  // Overflowing products are caught too, not wrapped around.
  onnx::TensorProto o;
  o.set_name("overflow");
  o.set_data_type(onnx::TensorProto::FLOAT);
  o.add_dims(int64_t{1} << 32), o.add_dims(int64_t{1} << 32);
  CHECK_FALSE(readTensor(o, ".").ok());
}

TEST_CASE("every supported dtype converts to float and back") {
  for (DType t : {DType::Float, DType::Double, DType::Float16, DType::Bfloat16, DType::Int8, DType::Int32, DType::Int64}) {
    // Integers round half to even, so they get integral values here.
    std::vector<float> v = {0.0f, 1.0f, -1.0f, isFloating(t) ? 2.5f : 2.0f, 100.0f};
    Tensor x = Tensor::fromFloats(v, {5}, t);
    onnx::TensorProto p;
    writeTensor(x, p);
    auto y = readTensor(p, ".");
    REQUIRE(y.ok());
    CHECK(y->dtype() == t);
    CHECK(y->toFloats() == v);
  }
  Tensor u = Tensor::fromFloats(std::vector<float>{0, 1, 200, 255}, {4}, DType::Uint8);
  CHECK(u.toFloats() == std::vector<float>{0, 1, 200, 255});
}

TEST_CASE("float16 conversion matches IEEE half exactly") {
  CHECK(halfToFloat(0x3c00) == 1.0f);
  CHECK(halfToFloat(0xc000) == -2.0f);
  CHECK(halfToFloat(0x7bff) == 65504.0f);
  CHECK(halfToFloat(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(std::isinf(halfToFloat(0x7c00)));
  for (uint32_t h = 0; h < 0x7c00; ++h) {  // every finite positive half round-trips
    REQUIRE(floatToHalf(halfToFloat(static_cast<uint16_t>(h))) == h);
  }
  CHECK(floatToHalf(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie rounds to even
}

TEST_CASE("int32_data carries small integer types") {
  onnx::TensorProto p;
  p.set_name("i8");
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(3);
  p.add_int32_data(-5), p.add_int32_data(7), p.add_int32_data(-128);
  auto t = readTensor(p, ".");
  REQUIRE(t.ok());
  CHECK(t->toFloats() == std::vector<float>{-5, 7, -128});
}
