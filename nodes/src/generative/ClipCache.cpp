// SPDX-License-Identifier: Apache-2.0
#include "ClipCache.h"

#include <Imath/half.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include "kinema/graph/Context.h"

namespace kinema::nodes::generative {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxMemoryClips = 16;
constexpr std::uint64_t kMaxMemoryBytes = 4ull << 30;
constexpr std::uint64_t kDefaultDiskBytes = 20ull << 30;
constexpr int kFormatVersion = 1;

std::uint64_t diskLimit() {
    if (const char* v = std::getenv("KINEMA_CLIP_CACHE_MAX_BYTES"); v && *v) {
        try {
            return std::stoull(v);
        } catch (...) {
        }
    }
    return kDefaultDiskBytes;
}

template <typename T>
void writeBinary(const fs::path& path, const std::vector<T>& values) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(T)));
    out.close();
    if (!out)
        throw std::runtime_error("clip cache: cannot write '" + path.string() + "'");
}

template <typename T>
bool readBinary(const fs::path& path, std::vector<T>& values, std::size_t count) {
    std::error_code ec;
    if (fs::file_size(path, ec) != count * sizeof(T) || ec)
        return false;
    values.resize(count);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(T)));
    return static_cast<bool>(in);
}

std::uint64_t folderBytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file(ec))
            total += e.file_size(ec);
    return total;
}

} // namespace

void roundToHalf(std::vector<float>& values) {
    for (float& v : values)
        v = static_cast<float>(Imath::half(v));
}

ClipCache& ClipCache::instance() {
    static ClipCache cache;
    return cache;
}

fs::path ClipCache::diskDirectory() const {
    if (const char* v = std::getenv("KINEMA_CLIP_CACHE"); v && *v)
        return fs::path(v);
    if (const char* home = std::getenv("HOME"); home && *home)
        return fs::path(home) / ".cache" / "kinema" / "clips";
    return fs::temp_directory_path() / "kinema-clips";
}

void ClipCache::clearMemory() {
    std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end();)
        it = it->second->done ? m_entries.erase(it) : std::next(it);
}

ClipPtr ClipCache::getOrCreate(const std::string& key, const std::function<ClipPtr()>& generate) {
    std::shared_ptr<Entry> entry;
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            auto it = m_entries.find(key);
            if (it == m_entries.end()) {
                entry = std::make_shared<Entry>();
                m_entries.emplace(key, entry);
                break;
            }
            auto existing = it->second;
            if (existing->done) {
                existing->lastUse = ++m_tick;
                return existing->clip;
            }
            m_changed.wait(lock, [&] { return existing->done || existing->error || existing->cancelled; });
            if (existing->done) {
                existing->lastUse = ++m_tick;
                return existing->clip;
            }
            if (existing->error && !existing->cancelled)
                std::rethrow_exception(existing->error);
            // The generating request was cancelled: try again (possibly generating ourselves).
        }
    }

    const fs::path dir = diskDirectory();
    ClipPtr clip;
    try {
        clip = loadFromDisk(dir, key);
        if (!clip) {
            clip = generate();
            try {
                storeToDisk(dir, key, *clip);
                evictToSize(dir, diskLimit());
            } catch (const std::exception&) {
                // A full or read-only disk cache must not fail the render: the clip stays in memory.
            }
        }
    } catch (const graph::Cancelled&) {
        std::lock_guard lock(m_mutex);
        entry->cancelled = true;
        entry->error = std::current_exception();
        m_entries.erase(key);
        m_changed.notify_all();
        throw;
    } catch (...) {
        std::lock_guard lock(m_mutex);
        entry->error = std::current_exception();
        m_entries.erase(key);
        m_changed.notify_all();
        throw;
    }

    std::lock_guard lock(m_mutex);
    entry->clip = clip;
    entry->done = true;
    entry->lastUse = ++m_tick;
    // Keep memory bounded: drop the least recently used finished clips.
    for (;;) {
        std::size_t count = 0;
        std::uint64_t bytes = 0;
        std::string oldest;
        std::uint64_t oldestUse = UINT64_MAX;
        for (const auto& [k, e] : m_entries) {
            if (!e->done)
                continue;
            ++count;
            bytes += e->clip->memoryBytes();
            if (k != key && e->lastUse < oldestUse) {
                oldestUse = e->lastUse;
                oldest = k;
            }
        }
        if ((count <= kMaxMemoryClips && bytes <= kMaxMemoryBytes) || oldest.empty())
            break;
        m_entries.erase(oldest);
    }
    m_changed.notify_all();
    return clip;
}

ClipPtr ClipCache::loadFromDisk(const fs::path& dir, const std::string& key) {
    const fs::path folder = dir / key;
    std::error_code ec;
    if (!fs::is_regular_file(folder / "manifest.json", ec))
        return nullptr;
    try {
        std::ifstream in(folder / "manifest.json");
        const auto manifest = nlohmann::json::parse(in);
        if (manifest.at("version").get<int>() != kFormatVersion ||
            manifest.at("key").get<std::string>() != key)
            return nullptr;
        auto clip = std::make_shared<Clip>();
        clip->frames = manifest.at("frames").get<int>();
        clip->width = manifest.at("width").get<int>();
        clip->height = manifest.at("height").get<int>();
        const auto& lat = manifest.at("latentShape");
        clip->latentChannels = lat.at(0).get<int>();
        clip->latentFrames = lat.at(1).get<int>();
        clip->latentHeight = lat.at(2).get<int>();
        clip->latentWidth = lat.at(3).get<int>();
        if (manifest.contains("measures"))
            for (const auto& [name, value] : manifest.at("measures").items())
                clip->measures[name] = value.get<double>();
        // A latent-only entry (frames 0) keeps the latents of a clip whose decoding failed.
        const bool latentOnly = clip->frames == 0 && clip->latentChannels > 0;
        if (!latentOnly && (clip->frames <= 0 || clip->width <= 0 || clip->height <= 0))
            return nullptr;
        const auto pixels = static_cast<std::size_t>(clip->frames) * static_cast<std::size_t>(clip->width) *
                            static_cast<std::size_t>(clip->height) * 3;
        std::vector<Imath::half> halves;
        if (!readBinary(folder / "frames.bin", halves, pixels))
            return nullptr;
        clip->rgb.resize(pixels);
        for (std::size_t i = 0; i < pixels; ++i)
            clip->rgb[i] = static_cast<float>(halves[i]);
        const auto latentCount =
            static_cast<std::size_t>(clip->latentChannels) * static_cast<std::size_t>(clip->latentFrames) *
            static_cast<std::size_t>(clip->latentHeight) * static_cast<std::size_t>(clip->latentWidth);
        if (!readBinary(folder / "latents.bin", clip->latents, latentCount))
            return nullptr;
        // Record the access for LRU eviction.
        fs::last_write_time(folder / "manifest.json", fs::file_time_type::clock::now(), ec);
        return clip;
    } catch (const std::exception&) {
        return nullptr;
    }
}

void ClipCache::storeToDisk(const fs::path& dir, const std::string& key, const Clip& clip) {
    fs::create_directories(dir);
    const fs::path final = dir / key;
    std::random_device rd;
    const fs::path temp =
        dir / (".tmp-" + key + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(temp);
    try {
        std::vector<Imath::half> halves(clip.rgb.size());
        for (std::size_t i = 0; i < halves.size(); ++i)
            halves[i] = Imath::half(clip.rgb[i]);
        writeBinary(temp / "frames.bin", halves);
        writeBinary(temp / "latents.bin", clip.latents);
        nlohmann::json manifest;
        manifest["version"] = kFormatVersion;
        manifest["key"] = key;
        manifest["frames"] = clip.frames;
        manifest["width"] = clip.width;
        manifest["height"] = clip.height;
        manifest["latentShape"] = {clip.latentChannels, clip.latentFrames, clip.latentHeight,
                                   clip.latentWidth};
        manifest["measures"] = nlohmann::json::object();
        for (const auto& [name, value] : clip.measures)
            manifest["measures"][name] = value;
        {
            std::ofstream out(temp / "manifest.json", std::ios::trunc);
            out << manifest.dump(2);
            out.close();
            if (!out)
                throw std::runtime_error("clip cache: cannot write the manifest of " + key);
        }
        std::error_code ec;
        fs::rename(temp, final, ec);
        if (ec) // another process stored the same clip first: keep theirs
            fs::remove_all(temp, ec);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(temp, ec);
        throw;
    }
}

void ClipCache::evictToSize(const fs::path& dir, std::uint64_t maxBytes) {
    struct Item {
        fs::path folder;
        fs::file_time_type used;
        std::uint64_t bytes;
    };
    std::vector<Item> items;
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_directory(ec) || e.path().filename().string().starts_with("."))
            continue;
        const auto used = fs::last_write_time(e.path() / "manifest.json", ec);
        if (ec)
            continue;
        const auto bytes = folderBytes(e.path());
        items.push_back({e.path(), used, bytes});
        total += bytes;
    }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.used < b.used; });
    for (const auto& item : items) {
        if (total <= maxBytes)
            break;
        fs::remove_all(item.folder, ec);
        total -= std::min(total, item.bytes);
    }
}

} // namespace kinema::nodes::generative
