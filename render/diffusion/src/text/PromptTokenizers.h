// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Prompt tokenizers behind the PromptTokenizer interface (torch-free).
#include <kinema/diffusion/Session.h>

#include <filesystem>
#include <memory>

namespace kinema::diffusion {

/// UTF-8 bytes as ids (byte + 3, folded into the vocabulary), then </s> = 1, pad = 0. Only for small test
/// models whose folder asks for it in kinema.json; real models use their umT5 tokenizer.
std::unique_ptr<PromptTokenizer> makeByteTokenizer(std::int64_t vocabSize);

/// The umT5 tokenizer of a model folder (`google/umt5-xxl/tokenizer.json` or `spiece.model`), with the
/// reference prompt cleaning. Throws ModelError if the files are missing or unreadable.
std::unique_ptr<PromptTokenizer> makeUmt5Tokenizer(const std::filesystem::path& modelDir);

} // namespace kinema::diffusion
