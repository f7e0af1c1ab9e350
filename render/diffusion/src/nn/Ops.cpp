// SPDX-License-Identifier: Apache-2.0
#include "nn/Ops.h"

#include <new>
#include <string>

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>

namespace kinema::diffusion::nn {

namespace {

/// Tiled softmax attention in [B, N, L, D] layout. With bf16 inputs it behaves like a flash kernel: the
/// bf16 values are read exactly, scores and softmax are fp32, the probabilities are rounded to bf16 for the
/// product with v, and that product accumulates in fp32.
at::Tensor tiledAttention(const at::Tensor& qh, const at::Tensor& kh, const at::Tensor& vh, double scale,
                          const at::Tensor& keyBias, std::int64_t maxScoreBytes) {
    const bool bf16 = qh.scalar_type() == at::kBFloat16;
    const auto qf = qh.to(at::kFloat);
    const auto kt = kh.to(at::kFloat).transpose(-2, -1);
    const auto vf = vh.to(at::kFloat);
    const std::int64_t batch = qf.size(0), heads = qf.size(1), lq = qf.size(2), lk = kt.size(-1);
    const std::int64_t perRow = std::max<std::int64_t>(1, batch * heads * lk * 4);
    const std::int64_t tile =
        std::clamp<std::int64_t>(maxScoreBytes / perRow, 1, std::max<std::int64_t>(lq, 1));
    const auto rows = [&](std::int64_t start, std::int64_t len) {
        auto scores = at::matmul(qf.narrow(2, start, len), kt);
        scores.mul_(scale);
        if (keyBias.defined()) {
            const auto bias = keyBias.size(-2) == 1 ? keyBias : keyBias.narrow(-2, start, len);
            scores.add_(bias);
        }
        auto probs = at::softmax(scores, -1);
        if (bf16)
            probs = probs.to(at::kBFloat16).to(at::kFloat);
        return at::matmul(probs, vf);
    };
    if (tile >= lq) // one tile: no output to assemble (nor, in training, a copy to differentiate through)
        return rows(0, lq);
    at::Tensor out = at::empty({batch, heads, lq, vf.size(-1)}, qf.options());
    for (std::int64_t start = 0; start < lq; start += tile) {
        const std::int64_t len = std::min(tile, lq - start);
        out.narrow(2, start, len).copy_(rows(start, len));
    }
    return out;
}

} // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                     const at::Tensor& keyBias, std::int64_t maxScoreBytes) {
    const auto qh = q.transpose(1, 2), kh = k.transpose(1, 2), vh = v.transpose(1, 2);
#if TORCH_VERSION_MAJOR >= 2
    // libtorch >= 2 on a GPU: the fused kernel (flash / memory-efficient), which never materialises the
    // score matrix. Its default scale is 1/sqrt(D); other scales and logit biases use the tiled path.
    const bool defaultScale = std::abs(scale * std::sqrt(static_cast<double>(q.size(-1))) - 1.0) < 1e-12;
    if (q.device().is_cuda() && !keyBias.defined() && defaultScale)
        return at::scaled_dot_product_attention(qh, kh.to(q.scalar_type()), vh.to(q.scalar_type()))
            .transpose(1, 2);
#endif
    return tiledAttention(qh, kh, vh, scale, keyBias, maxScoreBytes).transpose(1, 2).to(q.scalar_type());
}

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const auto xf = x.to(at::kFloat);
    auto y = xf * at::rsqrt(xf.pow(2).mean({-1}, true) + eps);
    return y.to(x.scalar_type()) * weight;
}

namespace {
bool useMkldnn(const at::Tensor& x, const at::Tensor& weight) {
    return at::hasMKLDNN() && x.device().is_cpu() && x.scalar_type() == at::kFloat &&
           weight.scalar_type() == at::kFloat;
}
} // namespace

at::Tensor conv3d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  at::IntArrayRef stride) {
    if (useMkldnn(x, weight))
        return at::mkldnn_convolution(x.contiguous(), weight.contiguous(), bias, {0, 0, 0}, stride, {1, 1, 1},
                                      1);
    return at::conv3d(x, weight, bias, stride);
}

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  at::IntArrayRef stride, at::IntArrayRef padding) {
    if (useMkldnn(x, weight))
        return at::mkldnn_convolution(x.contiguous(), weight.contiguous(), bias, padding, stride, {1, 1}, 1);
    return at::conv2d(x, weight, bias, stride, padding);
}

void moveTensors(const std::vector<at::Tensor*>& tensors, at::Device device) {
    for (auto* t : tensors)
        if (t->defined())
            *t = t->to(device);
}

void setComputeThreads(int threads) {
    if (threads > 0)
        at::set_num_threads(threads);
}

bool isOutOfMemory(const std::exception& e) {
    const std::string what = e.what();
    for (const char* marker :
         {"out of memory", "can't allocate memory", "not enough memory", "std::bad_alloc"})
        if (what.find(marker) != std::string::npos)
            return true;
    return dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
}

} // namespace kinema::diffusion::nn
