// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The image type that flows between nodes.
///
/// Float32 channels stored planar (one contiguous row-major array per channel, covering the data window),
/// any number of named channels: "R","G","B","A" for the main layer and "<layer>.<C>" for others
/// ("diffuse.R"). The data window (where pixels exist) is separate from the format's display window and may
/// be larger (overscan), smaller, or have negative origins. Pixels are premultiplied by alpha, values are
/// scene-linear in the working space. Images are immutable once published (ImagePtr is shared const).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "kinema/graph/Geometry.h"

namespace kinema::render {

using graph::Box2i;
using graph::Format;

/// A metadata value: text, number, integer or a list of numbers (chromaticities, matrices).
using MetadataValue = std::variant<std::string, double, std::int64_t, std::vector<double>>;
using Metadata = std::map<std::string, MetadataValue>;

class Image {
public:
    Image() = default;
    /// An image with the given channels, zero-filled over `dataWindow`.
    Image(const Format& format, const Box2i& dataWindow, const std::vector<std::string>& channels);

    const Format& format() const { return m_format; }
    void setFormat(const Format& f) { m_format = f; }
    const Box2i& dataWindow() const { return m_dataWindow; }
    int width() const { return m_dataWindow.width(); }
    int height() const { return m_dataWindow.height(); }
    std::size_t pixelCount() const { return static_cast<std::size_t>(m_dataWindow.area()); }

    std::vector<std::string> channelNames() const;
    bool hasChannel(const std::string& name) const { return findChannel(name) != nullptr; }
    /// Pointer to a channel's plane, or nullptr.
    float* findChannel(const std::string& name);
    const float* findChannel(const std::string& name) const;
    /// Like findChannel but throws std::out_of_range naming the channel.
    float* channel(const std::string& name);
    const float* channel(const std::string& name) const;
    /// Adds a zero-filled channel (or returns the existing one).
    float* addChannel(const std::string& name);
    void removeChannel(const std::string& name);
    std::size_t channelCount() const { return m_channels.size(); }

    /// Value of a channel at absolute pixel (x, y); 0 outside the data window or for a missing channel.
    float sample(const std::string& channel, int x, int y) const;

    Metadata& metadata() { return m_metadata; }
    const Metadata& metadata() const { return m_metadata; }

    /// Bytes held by pixel planes and metadata (what the caches count).
    std::size_t memoryBytes() const;

    /// The main RGBA channel names in order.
    static const std::vector<std::string>& rgba();

private:
    struct Plane {
        std::string name;
        std::vector<float> data;
    };
    const Plane* findPlane(const std::string& name) const;

    Format m_format;
    Box2i m_dataWindow;
    std::vector<Plane> m_channels;
    Metadata m_metadata;
};

using ImagePtr = std::shared_ptr<const Image>;

/// Layer part of a channel name ("diffuse.R" → "diffuse", "R" → "").
std::string layerOf(const std::string& channel);
/// Component part of a channel name ("diffuse.R" → "R").
std::string componentOf(const std::string& channel);

} // namespace kinema::render
