// SPDX-License-Identifier: Apache-2.0
#include "families/wan21/WanKeys.h"

#include <array>
#include <string_view>
#include <utility>

namespace kinema::diffusion::wan21 {

namespace {
using Rename = std::pair<std::string_view, std::string_view>;

// Prefix renames inside one transformer block (after "blocks.N.").
constexpr std::array<Rename, 19> kBlockRenames{{
    {"modulation", "scale_shift_table"},
    {"self_attn.q.", "attn1.to_q."},
    {"self_attn.k.", "attn1.to_k."},
    {"self_attn.v.", "attn1.to_v."},
    {"self_attn.o.", "attn1.to_out.0."},
    {"self_attn.norm_q.", "attn1.norm_q."},
    {"self_attn.norm_k.", "attn1.norm_k."},
    {"cross_attn.q.", "attn2.to_q."},
    {"cross_attn.k_img.", "attn2.add_k_proj."},
    {"cross_attn.v_img.", "attn2.add_v_proj."},
    {"cross_attn.norm_k_img.", "attn2.norm_added_k."},
    {"cross_attn.k.", "attn2.to_k."},
    {"cross_attn.v.", "attn2.to_v."},
    {"cross_attn.o.", "attn2.to_out.0."},
    {"cross_attn.norm_q.", "attn2.norm_q."},
    {"cross_attn.norm_k.", "attn2.norm_k."},
    {"norm3.", "norm2."},
    {"ffn.0.", "ffn.net.0.proj."},
    {"ffn.2.", "ffn.net.2."},
}};

constexpr std::array<Rename, 12> kTopRenames{{
    {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
    {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
    {"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
    {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
    {"time_projection.1.", "condition_embedder.time_proj."},
    {"head.modulation", "scale_shift_table"},
    {"head.head.", "proj_out."},
    {"img_emb.proj.0.", "condition_embedder.image_embedder.norm1."},
    {"img_emb.proj.1.", "condition_embedder.image_embedder.ff.net.0.proj."},
    {"img_emb.proj.3.", "condition_embedder.image_embedder.ff.net.2."},
    {"img_emb.proj.4.", "condition_embedder.image_embedder.norm2."},
    {"img_emb.emb_pos", "condition_embedder.image_embedder.pos_embed"},
}};

bool replacePrefix(std::string_view name, const Rename& rename, std::string& out) {
    if (name.substr(0, rename.first.size()) != rename.first)
        return false;
    out = std::string(rename.second) + std::string(name.substr(rename.first.size()));
    return true;
}
} // namespace

std::string ditDiffusersKey(const std::string& original) {
    std::string out;
    const std::string_view name(original);
    if (name.substr(0, 7) == "blocks.") {
        const auto dot = name.find('.', 7);
        if (dot != std::string_view::npos) {
            const auto head = name.substr(0, dot + 1);
            const auto rest = name.substr(dot + 1);
            for (const auto& r : kBlockRenames)
                if (replacePrefix(rest, r, out))
                    return std::string(head) + out;
        }
        return original;
    }
    for (const auto& r : kTopRenames)
        if (replacePrefix(name, r, out))
            return out;
    return original;
}

} // namespace kinema::diffusion::wan21
