#include "lib/pack/model_dictionary.h"

#include <string_view>

namespace dnnc::pack {

namespace {

// Space-separated tokens; order matters to zstd only through offsets, so keep it stable.
constexpr std::string_view kDictionary =
    "pytorch onnx ai.onnx ai.onnx.ml input output logits weight bias running_mean running_var "
    ".weight .bias _output_0 /Relu_output_0 /Gemm_output_0 /Conv_output_0 /MaxPool_output_0 "
    "/Flatten_output_0 /Add_output_0 /BatchNormalization_output_0 /Relu /Gemm /Conv /MaxPool "
    "/Flatten /Add /BatchNormalization /flatten/Flatten weight_codebook weight_indices "
    "weight_indices_i32 weight_shared weight_share_cast weight_share_gather weight_quantized "
    "weight_scale weight_zero_point weight_dequantized weight_dequantize batch_size dnnc Abs "
    "Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization "
    "BitShift Cast CastLike Ceil Celu Clip Compress Concat ConcatFromSequence Constant "
    "ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DepthToSpace "
    "DequantizeLinear Det Div Dropout DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand "
    "EyeLike Flatten Floor GRU Gather GatherElements GatherND Gemm GlobalAveragePool "
    "GlobalLpPool GlobalMaxPool Greater GreaterOrEqual HardSigmoid HardSwish Hardmax Identity "
    "If InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization LeakyRelu Less "
    "LessOrEqual Log LogSoftmax Loop LpNormalization LpPool MatMul MatMulInteger Max MaxPool "
    "MaxRoiPool MaxUnpool Mean Min Mish Mod Mul Multinomial Neg NonMaxSuppression NonZero Not "
    "OneHot Or PRelu Pad Pow QLinearConv QLinearMatMul QuantizeLinear RNN RandomNormal "
    "RandomUniform Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceMax ReduceMean "
    "ReduceMin ReduceProd ReduceSum Relu Reshape Resize Round Scan Scatter ScatterElements "
    "ScatterND Selu Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax Softplus Softsign "
    "SpaceToDepth Split Sqrt Squeeze Sub Sum Tan Tanh TfIdfVectorizer ThresholdedRelu Tile "
    "TopK Transpose Trilu Unique Unsqueeze Upsample Where Xor axis axes alpha beta transA "
    "transB kernel_shape pads strides dilations group auto_pad ceil_mode count_include_pad "
    "epsilon momentum keepdims perm to value mode select_last_index training_mode allowzero ";

}  // namespace

std::span<const uint8_t> modelDictionary() {
  return {reinterpret_cast<const uint8_t*>(kDictionary.data()), kDictionary.size()};
}

}  // namespace dnnc::pack
