// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The clip caches of the generative nodes: a process-wide memory cache with single-flight generation and
/// an on-disk cache that survives restarts.
///
/// A clip is everything one generation produced: its frames (RGB as the model decodes them, display-
/// referred in [0, 1], rounded to half float so that memory and disk hold identical values) and the final
/// latents. Clips are keyed by the clip hash (see ClipNode). getOrCreate() returns the memory entry, waits
/// for a generation of the same clip already running in another thread, loads the clip from disk, or runs
/// the given generator once and stores the result in both caches.
///
/// The disk cache lives in $KINEMA_CLIP_CACHE (default ~/.cache/kinema/clips): one folder per clip hash
/// with `manifest.json`, `frames.bin` (half floats) and `latents.bin` (float32), written under a temporary
/// name and renamed into place. Reading a clip refreshes the manifest's modification time; the cache is
/// A clip with no frames but latents (key "<clip hash>.latents") keeps what a generation sampled when its
/// decoding ran out of memory, so the next attempt only decodes. The cache is
/// kept under $KINEMA_CLIP_CACHE_MAX_BYTES (default 20 GiB) by evicting the least recently used clips.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kinema::nodes::generative {

struct Clip {
    int frames = 0;
    int width = 0;
    int height = 0;
    /// frames x height x width x 3 values, display-referred RGB in [0, 1].
    std::vector<float> rgb;
    std::vector<float> latents;
    int latentChannels = 0, latentFrames = 0, latentHeight = 0, latentWidth = 0;
    /// Extra numbers measured on the clip (e.g. a loop's seam), stored in the manifest.
    std::map<std::string, double> measures;

    const float* frame(int index) const {
        return rgb.data() + static_cast<std::size_t>(index) * static_cast<std::size_t>(width * height * 3);
    }
    std::size_t memoryBytes() const { return (rgb.size() + latents.size()) * sizeof(float); }
};
using ClipPtr = std::shared_ptr<const Clip>;

/// Rounds every value of `values` to the nearest half float (what the disk cache stores).
void roundToHalf(std::vector<float>& values);

class ClipCache {
public:
    static ClipCache& instance();

    /// The clip for `key`: from memory, from a generation in flight, from disk, or made by `generate`
    /// (then stored in memory and on disk). Errors of `generate` propagate to every waiter and are not
    /// cached; when the generating request was cancelled, waiters retry the generation themselves.
    ClipPtr getOrCreate(const std::string& key, const std::function<ClipPtr()>& generate);

    /// Drops every finished clip held in memory (the disk cache stays).
    void clearMemory();
    /// The disk cache folder in use.
    std::filesystem::path diskDirectory() const;

    /// Disk cache primitives (exposed for tests). load returns nullptr when absent or unreadable.
    static ClipPtr loadFromDisk(const std::filesystem::path& dir, const std::string& key);
    static void storeToDisk(const std::filesystem::path& dir, const std::string& key, const Clip& clip);
    /// Evicts least-recently-used clips until the folder holds at most `maxBytes`.
    static void evictToSize(const std::filesystem::path& dir, std::uint64_t maxBytes);

private:
    struct Entry {
        bool done = false;
        bool cancelled = false;
        ClipPtr clip;
        std::exception_ptr error;
        std::uint64_t lastUse = 0;
    };

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, std::shared_ptr<Entry>> m_entries;
    std::uint64_t m_tick = 0;
};

} // namespace kinema::nodes::generative
