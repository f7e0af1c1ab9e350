// SPDX-License-Identifier: Apache-2.0
#include "text/PromptTokenizers.h"

#include <kinema/diffusion/Errors.h>

#include <algorithm>

#if __has_include(<kinema/diffusion/Tokenizer.h>)
#include <kinema/diffusion/Tokenizer.h>
#define KINEMA_HAS_UNIGRAM_TOKENIZER 1
#endif

namespace kinema::diffusion {

namespace {

class ByteTokenizer final : public PromptTokenizer {
public:
    explicit ByteTokenizer(std::int64_t vocab)
        : m_vocab(vocab) {}

    Tokens tokenize(const std::string& text, std::size_t textLength) const override {
        Tokens out;
        if (textLength == 0)
            return out;
        const std::int64_t span = std::max<std::int64_t>(1, m_vocab - 3);
        for (unsigned char c : text) {
            if (out.ids.size() + 1 >= textLength)
                break;
            out.ids.push_back(3 + static_cast<std::int64_t>(c) % span);
        }
        out.ids.push_back(1); // </s>
        out.length = out.ids.size();
        out.ids.resize(textLength, 0);
        return out;
    }

private:
    std::int64_t m_vocab;
};

#ifdef KINEMA_HAS_UNIGRAM_TOKENIZER
/// The umT5 Unigram tokenizer with the reference prompt cleaning, </s> and padding.
class Umt5Tokenizer final : public PromptTokenizer {
public:
    explicit Umt5Tokenizer(UnigramTokenizer tokenizer)
        : m_tokenizer(std::move(tokenizer)) {}

    Tokens tokenize(const std::string& text, std::size_t textLength) const override {
        const auto prompt = tokenizePrompt(m_tokenizer, text, textLength);
        Tokens out;
        out.ids.assign(prompt.ids.begin(), prompt.ids.end());
        out.length = prompt.length;
        return out;
    }

private:
    UnigramTokenizer m_tokenizer;
};
#endif

} // namespace

std::unique_ptr<PromptTokenizer> makeByteTokenizer(std::int64_t vocabSize) {
    if (vocabSize < 4)
        throw ModelError("the byte tokenizer needs a vocabulary of at least 4 ids");
    return std::make_unique<ByteTokenizer>(vocabSize);
}

std::unique_ptr<PromptTokenizer> makeUmt5Tokenizer(const std::filesystem::path& modelDir) {
#ifdef KINEMA_HAS_UNIGRAM_TOKENIZER
    try {
        return std::make_unique<Umt5Tokenizer>(UnigramTokenizer::fromDirectory(modelDir));
    } catch (const DiffusionError&) {
        throw;
    } catch (const std::exception& e) {
        throw ModelError("model folder '" + modelDir.string() +
                         "': cannot load the umT5 tokenizer: " + e.what());
    }
#else
    throw ModelError("model folder '" + modelDir.string() +
                     "': the umT5 tokenizer is not available in this build of the diffusion core");
#endif
}

} // namespace kinema::diffusion
