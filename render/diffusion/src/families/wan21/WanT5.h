// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The umT5 text encoder (reference `T5Encoder`, encoder only): per-layer relative position bias, unscaled
/// attention logits, gated tanh-GELU feed-forward, RMS layer norms. Computes in fp32.
#include "families/wan21/WanConfig.h"
#include "tensor/WeightMap.h"

#include <kinema/diffusion/Session.h>

#include <ATen/ATen.h>

#include <vector>

namespace kinema::diffusion::wan21 {

/// What WanT5::forward takes for one tokenised prompt: ids and mask [1, L] int64 (mask 1 on the prompt's
/// tokens, 0 on the padding), and the prompt's length in tokens (</s> included).
struct PromptIds {
    at::Tensor ids, mask;
    std::int64_t length = 0;
};
PromptIds promptIds(const PromptTokenizer::Tokens& tokens);

/// One block's attention logits, split into their two parts ([B, N, L, L] each): the content term q·k and
/// the relative position bias. Their sum (with the padding masked) is what the softmax sees.
struct T5AttentionLogits {
    at::Tensor content, position;
};

class WanT5 {
public:
    WanT5(const T5Config& config, WeightMap& weights);

    const T5Config& config() const { return m_config; }
    std::int64_t parameterCount() const { return m_parameterCount; }

    /// ids and mask [B, L] int64 (mask: 1 for real tokens, then 0). Returns hidden states [B, L, dim]
    /// after the final norm; pad rows are computed too (masked as keys only).
    /// With `logits`, each block's attention logits are appended to it (diagnostics: kinema-train
    /// text-attention); the result does not change.
    at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask,
                       std::vector<T5AttentionLogits>* logits = nullptr) const;

    /// Moves the weights to `device`; forward() then runs there (its result stays there).
    void to(at::Device device);

private:
    struct Block {
        at::Tensor norm1, q, k, v, o, norm2, gate, fc1, fc2, posTable;
    };
    at::Tensor positionBias(const at::Tensor& table, std::int64_t lq, std::int64_t lk) const;

    T5Config m_config;
    std::int64_t m_parameterCount = 0;
    at::Tensor m_embedding, m_finalNorm;
    std::vector<Block> m_blocks;
};

/// The bidirectional relative-position bucket of (key position - query position), as the reference
/// computes it (float32 logarithms, truncation).
at::Tensor relativePositionBuckets(std::int64_t lq, std::int64_t lk, std::int64_t numBuckets,
                                   std::int64_t maxDistance);

} // namespace kinema::diffusion::wan21
