// SPDX-License-Identifier: Apache-2.0
#include "kinema/render/Image.h"

#include <algorithm>
#include <stdexcept>

namespace kinema::render {

Image::Image(const Format& format, const Box2i& dataWindow, const std::vector<std::string>& channels)
    : m_format(format)
    , m_dataWindow(dataWindow.empty() ? Box2i{} : dataWindow) {
    for (auto& c : channels)
        addChannel(c);
}

const std::vector<std::string>& Image::rgba() {
    static const std::vector<std::string> names{"R", "G", "B", "A"};
    return names;
}

std::vector<std::string> Image::channelNames() const {
    std::vector<std::string> out;
    for (auto& p : m_channels)
        out.push_back(p.name);
    return out;
}

const Image::Plane* Image::findPlane(const std::string& name) const {
    for (auto& p : m_channels)
        if (p.name == name)
            return &p;
    return nullptr;
}

float* Image::findChannel(const std::string& name) {
    auto p = findPlane(name);
    return p ? const_cast<float*>(p->data.data()) : nullptr;
}

const float* Image::findChannel(const std::string& name) const {
    auto p = findPlane(name);
    return p ? p->data.data() : nullptr;
}

float* Image::channel(const std::string& name) {
    if (auto p = findChannel(name))
        return p;
    throw std::out_of_range("image has no channel '" + name + "'");
}

const float* Image::channel(const std::string& name) const {
    if (auto p = findChannel(name))
        return p;
    throw std::out_of_range("image has no channel '" + name + "'");
}

float* Image::addChannel(const std::string& name) {
    if (auto p = findChannel(name))
        return p;
    if (name.empty())
        throw std::invalid_argument("channel names must not be empty");
    m_channels.push_back({name, std::vector<float>(pixelCount(), 0.0f)});
    return m_channels.back().data.data();
}

void Image::removeChannel(const std::string& name) {
    std::erase_if(m_channels, [&](const Plane& p) { return p.name == name; });
}

float Image::sample(const std::string& name, int x, int y) const {
    const float* c = findChannel(name);
    if (!c || !m_dataWindow.contains(x, y))
        return 0.0f;
    return c[static_cast<std::size_t>(y - m_dataWindow.y0) * static_cast<std::size_t>(width()) +
             static_cast<std::size_t>(x - m_dataWindow.x0)];
}

std::size_t Image::memoryBytes() const {
    std::size_t bytes = sizeof(Image);
    for (auto& p : m_channels)
        bytes += p.data.capacity() * sizeof(float) + p.name.capacity();
    for (auto& [k, v] : m_metadata) {
        bytes += k.size() + 32;
        if (auto s = std::get_if<std::string>(&v))
            bytes += s->size();
        else if (auto d = std::get_if<std::vector<double>>(&v))
            bytes += d->size() * sizeof(double);
    }
    return bytes;
}

std::string layerOf(const std::string& channel) {
    auto dot = channel.rfind('.');
    return dot == std::string::npos ? std::string() : channel.substr(0, dot);
}

std::string componentOf(const std::string& channel) {
    auto dot = channel.rfind('.');
    return dot == std::string::npos ? channel : channel.substr(dot + 1);
}

} // namespace kinema::render
