// SPDX-License-Identifier: Apache-2.0
#include "kinema/scenes/Caption.h"

#include "Geometry.h"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace kinema::scenes {
namespace {

using detail::Rng;

enum class Field { Colour, Shape, Size, Glow, Motion, Background, Camera, Light, Temperature, Intensity };

// Where a phrase may be used when writing: in sentences, in keyword lists, or both. Every phrase is read.
enum Use : unsigned { kSentence = 1, kKeyword = 2, kBoth = 3, kReadOnly = 0 };

struct Phrase {
    Field field;
    int value;
    std::string text;
    unsigned use;
};

void add(std::vector<Phrase>& table, Field field, int value, unsigned use,
         std::initializer_list<const char*> texts) {
    for (const char* text : texts)
        table.push_back({field, value, text, use});
}

std::vector<Phrase> buildTable() {
    std::vector<Phrase> t;
    const auto colour = [&](Colour c, std::initializer_list<const char*> texts) {
        add(t, Field::Colour, int(c), kBoth, texts);
    };
    colour(Colour::Red, {"red"});
    colour(Colour::Orange, {"orange"});
    colour(Colour::Yellow, {"yellow"});
    colour(Colour::Green, {"green"});
    colour(Colour::Cyan, {"cyan"});
    add(t, Field::Colour, int(Colour::Cyan), kReadOnly, {"turquoise", "teal"});
    colour(Colour::Blue, {"blue"});
    colour(Colour::Purple, {"purple"});
    add(t, Field::Colour, int(Colour::Purple), kReadOnly, {"violet"});
    colour(Colour::Pink, {"pink"});
    colour(Colour::White, {"white"});

    add(t, Field::Shape, int(Shape::Circle), kBoth, {"circle"});
    add(t, Field::Shape, int(Shape::Circle), kSentence, {"disc"});
    add(t, Field::Shape, int(Shape::Circle), kReadOnly, {"disk", "ball", "dot"});
    add(t, Field::Shape, int(Shape::Square), kBoth, {"square"});
    add(t, Field::Shape, int(Shape::Square), kReadOnly, {"box", "block"});
    add(t, Field::Shape, int(Shape::Triangle), kBoth, {"triangle"});
    add(t, Field::Shape, int(Shape::Star), kBoth, {"star"});
    add(t, Field::Shape, int(Shape::Ring), kBoth, {"ring"});
    add(t, Field::Shape, int(Shape::Ring), kSentence, {"hoop"});
    add(t, Field::Shape, int(Shape::Ring), kReadOnly, {"donut", "doughnut", "torus"});

    add(t, Field::Size, int(Size::Small), kBoth, {"small"});
    add(t, Field::Size, int(Size::Small), kSentence, {"little"});
    add(t, Field::Size, int(Size::Small), kReadOnly, {"tiny"});
    add(t, Field::Size, int(Size::Medium), kBoth, {"medium"});
    add(t, Field::Size, int(Size::Medium), kSentence, {"medium sized"});
    add(t, Field::Size, int(Size::Large), kBoth, {"large"});
    add(t, Field::Size, int(Size::Large), kSentence, {"big"});
    add(t, Field::Size, int(Size::Large), kReadOnly, {"huge"});
    add(t, Field::Glow, 1, kBoth, {"glowing"});
    add(t, Field::Glow, 1, kSentence, {"luminous"});
    add(t, Field::Glow, 1, kReadOnly, {"emissive", "shining"});

    const auto motion = [&](Motion m, unsigned use, std::initializer_list<const char*> texts) {
        add(t, Field::Motion, int(m), use, texts);
    };
    motion(Motion::Still, kSentence, {"standing still", "resting in place", "not moving", "motionless"});
    motion(Motion::Still, kKeyword, {"still"});
    motion(Motion::Still, kReadOnly, {"stationary", "static object"});
    struct Axis {
        Motion m;
        const char* word;
        std::initializer_list<const char*> sentence;
    };
    for (const Axis& a :
         {Axis{Motion::Left, "left", {"moving left", "sliding to the left", "drifting left"}},
          Axis{Motion::Right, "right", {"moving right", "sliding to the right", "drifting right"}},
          Axis{Motion::Up, "up", {"moving up", "rising", "floating upwards"}},
          Axis{Motion::Down, "down", {"moving down", "falling", "sinking downwards"}}}) {
        motion(a.m, kSentence, a.sentence);
        motion(a.m, kKeyword, {a.word});
        const std::string moving = std::string("moving ") + a.word;
        add(t, Field::Motion, int(a.m), kKeyword, {moving.c_str()});
    }
    motion(Motion::Left, kReadOnly, {"travelling left", "to the left"});
    motion(Motion::Right, kReadOnly, {"travelling right", "to the right"});
    motion(Motion::Up, kReadOnly, {"upwards", "ascending"});
    motion(Motion::Down, kReadOnly, {"downwards", "descending"});
    struct Diagonal {
        Motion m;
        const char* v;
        const char* h;
        const char* edge;
    };
    for (const Diagonal& d :
         {Diagonal{Motion::UpLeft, "up", "left", "top"}, Diagonal{Motion::UpRight, "up", "right", "top"},
          Diagonal{Motion::DownLeft, "down", "left", "bottom"},
          Diagonal{Motion::DownRight, "down", "right", "bottom"}}) {
        const Motion m = d.m;
        const char *v = d.v, *h = d.h, *edge = d.edge;
        const std::string s1 = std::string("moving ") + v + " and to the " + h;
        const std::string s2 = std::string("drifting diagonally ") + v + " " + h;
        const std::string s3 = std::string("heading towards the ") + edge + " " + h;
        const std::string k1 = std::string(v) + "-" + h;
        const std::string k2 = std::string("diagonal ") + v + " " + h;
        const std::string r1 = std::string(v) + " and " + h;
        const std::string r2 = std::string("diagonally ") + v + " " + h;
        const std::string r3 = std::string("towards the ") + edge + " " + h;
        add(t, Field::Motion, int(m), kSentence, {s1.c_str(), s2.c_str(), s3.c_str()});
        add(t, Field::Motion, int(m), kKeyword, {k1.c_str(), k2.c_str()});
        add(t, Field::Motion, int(m), kReadOnly, {r1.c_str(), r2.c_str(), r3.c_str()});
    }
    motion(Motion::Bounce, kSentence, {"bouncing", "bouncing up and down", "hopping"});
    motion(Motion::Bounce, kKeyword, {"bounce", "bouncing"});
    motion(Motion::Orbit, kSentence, {"orbiting", "circling around", "moving in a circle"});
    motion(Motion::Orbit, kKeyword, {"orbit", "orbiting"});
    motion(Motion::Orbit, kReadOnly, {"circling", "going round", "going around"});
    motion(Motion::Grow, kSentence, {"growing", "getting bigger", "expanding"});
    motion(Motion::Grow, kKeyword, {"grow", "growing"});
    motion(Motion::Shrink, kSentence, {"shrinking", "getting smaller", "contracting"});
    motion(Motion::Shrink, kKeyword, {"shrink", "shrinking"});
    motion(Motion::Spin, kSentence, {"spinning", "rotating", "turning in place"});
    motion(Motion::Spin, kKeyword, {"spin", "spinning"});

    const auto background = [&](Background b, unsigned use, std::initializer_list<const char*> texts) {
        add(t, Field::Background, int(b), use, texts);
    };
    background(Background::BlueSky, kSentence, {"clear blue sky", "blue daytime sky"});
    background(Background::BlueSky, kKeyword, {"blue sky"});
    background(Background::BlueSky, kReadOnly, {"daytime sky", "day sky"});
    background(Background::SunsetSky, kSentence, {"sunset sky", "dusky sunset sky"});
    background(Background::SunsetSky, kKeyword, {"sunset sky", "sunset"});
    background(Background::GreyFloor, kSentence, {"grey tiled floor", "plain grey floor"});
    background(Background::GreyFloor, kKeyword, {"grey floor"});
    background(Background::GreyFloor, kReadOnly, {"gray floor", "gray tiled floor"});
    background(Background::WoodFloor, kSentence, {"wooden floor", "room with a wooden floor"});
    background(Background::WoodFloor, kKeyword, {"wood floor", "wooden floor"});
    background(Background::Night, kSentence, {"dark night sky", "night sky"});
    background(Background::Night, kKeyword, {"night sky", "night"});
    background(Background::StarryNight, kSentence, {"starry night sky", "sky full of stars"});
    background(Background::StarryNight, kKeyword, {"starry night", "stars"});
    background(Background::StarryNight, kReadOnly, {"starry sky", "starry night sky"});

    const auto camera = [&](Camera c, unsigned use, std::initializer_list<const char*> texts) {
        add(t, Field::Camera, int(c), use, texts);
    };
    camera(Camera::Static, kSentence,
           {"the camera is static", "the camera stays fixed", "the camera does not move"});
    camera(Camera::Static, kKeyword, {"static camera", "fixed camera"});
    camera(Camera::Static, kReadOnly,
           {"camera is static", "camera stays fixed", "camera does not move", "locked off camera"});
    camera(Camera::PanLeft, kSentence, {"the camera pans left", "the camera pans to the left"});
    camera(Camera::PanLeft, kKeyword, {"pan left", "camera pan left"});
    camera(Camera::PanLeft, kReadOnly, {"camera pans left", "camera pans to the left", "panning left"});
    camera(Camera::PanRight, kSentence, {"the camera pans right", "the camera pans to the right"});
    camera(Camera::PanRight, kKeyword, {"pan right", "camera pan right"});
    camera(Camera::PanRight, kReadOnly, {"camera pans right", "camera pans to the right", "panning right"});
    camera(Camera::ZoomIn, kSentence, {"the camera zooms in", "the camera pushes in"});
    camera(Camera::ZoomIn, kKeyword, {"zoom in", "camera zoom in"});
    camera(Camera::ZoomIn, kReadOnly, {"camera zooms in", "camera pushes in", "zooming in"});
    camera(Camera::ZoomOut, kSentence, {"the camera zooms out", "the camera pulls back"});
    camera(Camera::ZoomOut, kKeyword, {"zoom out", "camera zoom out"});
    camera(Camera::ZoomOut, kReadOnly, {"camera zooms out", "camera pulls back", "zooming out"});

    const auto light = [&](LightDirection d, unsigned use, std::initializer_list<const char*> texts) {
        add(t, Field::Light, int(d), use, texts);
    };
    light(LightDirection::Left, kSentence, {"from the left"});
    light(LightDirection::Left, kKeyword, {"light from left", "left light"});
    light(LightDirection::Left, kReadOnly, {"from left"});
    light(LightDirection::Right, kSentence, {"from the right"});
    light(LightDirection::Right, kKeyword, {"light from right", "right light"});
    light(LightDirection::Right, kReadOnly, {"from right"});
    light(LightDirection::Top, kSentence, {"from above", "from the top"});
    light(LightDirection::Top, kKeyword, {"light from above", "top light"});
    light(LightDirection::Top, kReadOnly, {"from top", "overhead light"});
    light(LightDirection::Front, kSentence, {"from the front"});
    light(LightDirection::Front, kKeyword, {"light from front", "front light"});
    light(LightDirection::Front, kReadOnly, {"from front", "front lighting", "frontal light"});

    add(t, Field::Temperature, int(Temperature::Neutral), kBoth, {"neutral"});
    add(t, Field::Temperature, int(Temperature::Warm), kBoth, {"warm"});
    add(t, Field::Temperature, int(Temperature::Cool), kBoth, {"cool"});
    add(t, Field::Temperature, int(Temperature::Cool), kReadOnly, {"cold"});
    add(t, Field::Intensity, int(Intensity::Dim), kBoth, {"dim"});
    add(t, Field::Intensity, int(Intensity::Dim), kSentence, {"soft"});
    add(t, Field::Intensity, int(Intensity::Normal), kBoth, {"moderate"});
    add(t, Field::Intensity, int(Intensity::Normal), kSentence, {"even"});
    add(t, Field::Intensity, int(Intensity::Bright), kBoth, {"bright"});
    add(t, Field::Intensity, int(Intensity::Bright), kSentence, {"strong"});
    return t;
}

const std::vector<Phrase>& table() {
    static const std::vector<Phrase> phrases = buildTable();
    return phrases;
}

std::vector<std::string> tokenize(std::string_view text) {
    std::vector<std::string> tokens;
    std::string word;
    const auto flush = [&] {
        if (!word.empty())
            tokens.push_back(std::move(word));
        word.clear();
    };
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c)) {
            word.push_back(char(std::tolower(c)));
        } else {
            flush();
            if (ch == ',' || ch == '.' || ch == ';' || ch == ':' || ch == '!' || ch == '?')
                tokens.emplace_back(","); // phrases never span a separator
        }
    }
    flush();
    return tokens;
}

struct TokenizedPhrase {
    const Phrase* phrase;
    std::vector<std::string> tokens;
};

const std::vector<TokenizedPhrase>& tokenizedTable() {
    static const std::vector<TokenizedPhrase> out = [] {
        std::vector<TokenizedPhrase> v;
        for (const auto& p : table())
            v.push_back({&p, tokenize(p.text)});
        return v;
    }();
    return out;
}

class Writer {
public:
    explicit Writer(std::uint64_t seed)
        : m_rng(seed) {}

    std::string phrase(Field field, int value, unsigned use) {
        std::vector<const Phrase*> options;
        for (const auto& p : table())
            if (p.field == field && p.value == value && (p.use & use))
                options.push_back(&p);
        if (options.empty())
            throw SceneError("caption: no phrase for a field value");
        return options[std::size_t(m_rng.below(int(options.size())))]->text;
    }
    template <std::size_t N>
    std::string oneOf(const std::array<const char*, N>& options) {
        return options[std::size_t(m_rng.below(int(N)))];
    }
    bool chance(double p) { return m_rng.chance(p); }
    Rng& rng() { return m_rng; }

private:
    Rng m_rng;
};

std::string withArticle(const std::string& words) {
    const char c = words.empty() ? 'x' : words[0];
    const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    return (vowel ? "an " : "a ") + words;
}

std::string capitalised(std::string text) {
    if (!text.empty())
        text[0] = char(std::toupper(static_cast<unsigned char>(text[0])));
    return text;
}

// "large glowing red circle" (no article). Sizes are optional in short captions.
std::string objectWords(Writer& w, const SceneObject& o, bool withSize, unsigned use) {
    std::string words;
    if (withSize)
        words += w.phrase(Field::Size, int(o.size), use) + " ";
    if (o.emissive)
        words += w.phrase(Field::Glow, 1, use) + " ";
    words += w.phrase(Field::Colour, int(o.colour), use) + " " + w.phrase(Field::Shape, int(o.shape), use);
    return words;
}

std::string others(Writer& w, const SceneSpec& spec) {
    if (spec.objects.size() < 2)
        return {};
    std::vector<std::string> parts;
    for (std::size_t i = 1; i < spec.objects.size(); ++i) {
        const auto& o = spec.objects[i];
        std::string part = withArticle(objectWords(w, o, true, kSentence));
        if (o.motion != Motion::Still)
            part += " " + w.phrase(Field::Motion, int(o.motion), kSentence);
        parts.push_back(part);
    }
    const std::string list = parts.size() == 1 ? parts[0] : parts[0] + " and " + parts[1];
    switch (w.rng().below(3)) {
    case 0:
        return ", next to " + list;
    case 1:
        return ", with " + list + " nearby";
    default:
        return " beside " + list;
    }
}

std::string lighting(Writer& w, const Lighting& l) {
    const std::string from = w.phrase(Field::Light, int(l.direction), kSentence);
    const std::string kind = w.phrase(Field::Intensity, int(l.intensity), kSentence) + " " +
                             w.phrase(Field::Temperature, int(l.temperature), kSentence) + " light";
    switch (w.rng().below(3)) {
    case 0:
        return "lit " + from + " by " + withArticle(kind);
    case 1:
        return "under " + kind + " " + from;
    default:
        return "with " + kind + " coming " + from;
    }
}

std::string shortCaption(Writer& w, const SceneSpec& spec) {
    const auto& s = spec.objects[0];
    return withArticle(objectWords(w, s, w.chance(0.5), kSentence)) + " " +
           w.phrase(Field::Motion, int(s.motion), kSentence);
}

std::string longCaption(Writer& w, const SceneSpec& spec) {
    const auto& s = spec.objects[0];
    const std::string subject = withArticle(objectWords(w, s, true, kSentence)) + " " +
                                w.phrase(Field::Motion, int(s.motion), kSentence) + others(w, spec);
    const std::string bg = withArticle(w.phrase(Field::Background, int(spec.background), kSentence));
    const std::string light = lighting(w, spec.lighting);
    const std::string cam = w.phrase(Field::Camera, int(spec.camera), kSentence);
    switch (w.rng().below(3)) {
    case 0:
        return capitalised(subject) + " against " + bg + ", " + light + "; " + cam + ".";
    case 1:
        return capitalised(bg) + " with " + subject + ", " + light + ", and " + cam + ".";
    default:
        return "In front of " + bg + ", " + subject + ", " + light + ". " + capitalised(cam) + ".";
    }
}

std::string keywordCaption(Writer& w, const SceneSpec& spec) {
    const auto& s = spec.objects[0];
    std::vector<std::string> head;
    head.push_back(w.phrase(Field::Size, int(s.size), kKeyword));
    if (s.emissive)
        head.push_back(w.phrase(Field::Glow, 1, kKeyword));
    head.push_back(w.phrase(Field::Colour, int(s.colour), kKeyword));
    head.push_back(w.phrase(Field::Shape, int(s.shape), kKeyword));
    head.push_back(w.phrase(Field::Motion, int(s.motion), kKeyword));
    for (std::size_t i = 1; i < spec.objects.size(); ++i) {
        const auto& o = spec.objects[i];
        std::string item = objectWords(w, o, true, kKeyword);
        if (o.motion != Motion::Still)
            item += " " + w.phrase(Field::Motion, int(o.motion), kKeyword);
        head.push_back(item);
    }
    std::vector<std::string> scene{
        w.phrase(Field::Background, int(spec.background), kKeyword),
        w.phrase(Field::Temperature, int(spec.lighting.temperature), kKeyword) + " light",
        w.phrase(Field::Intensity, int(spec.lighting.intensity), kKeyword) + " light",
        w.phrase(Field::Light, int(spec.lighting.direction), kKeyword),
        w.phrase(Field::Camera, int(spec.camera), kKeyword)};
    // Deterministic shuffle of the scene keywords (Fisher-Yates on our generator).
    for (std::size_t i = scene.size(); i > 1; --i)
        std::swap(scene[i - 1], scene[std::size_t(w.rng().below(int(i)))]);
    std::string out;
    for (const auto& list : {head, scene})
        for (const auto& item : list)
            out += (out.empty() ? "" : ", ") + item;
    return out;
}

} // namespace

std::string_view toString(CaptionStyle style) {
    switch (style) {
    case CaptionStyle::Short:
        return "short";
    case CaptionStyle::Long:
        return "long";
    case CaptionStyle::Keywords:
        return "keywords";
    }
    return "?";
}

CaptionFacts factsOf(const SceneSpec& spec) {
    CaptionFacts facts;
    for (const auto& o : spec.objects)
        facts.objects.push_back({o.colour, o.shape, o.size, o.motion, o.emissive});
    facts.background = spec.background;
    facts.camera = spec.camera;
    facts.light = spec.lighting.direction;
    facts.temperature = spec.lighting.temperature;
    facts.intensity = spec.lighting.intensity;
    return facts;
}

std::string caption(const SceneSpec& spec, CaptionStyle style, std::uint64_t seed) {
    validate(spec);
    Writer w(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(style) + 1);
    switch (style) {
    case CaptionStyle::Short:
        return shortCaption(w, spec);
    case CaptionStyle::Long:
        return longCaption(w, spec);
    case CaptionStyle::Keywords:
        return keywordCaption(w, spec);
    }
    throw SceneError("caption: unknown style");
}

CaptionFacts parseCaption(std::string_view text) {
    const auto tokens = tokenize(text);
    CaptionFacts facts;
    std::optional<Colour> colour;
    std::optional<Size> size;
    std::optional<Motion> leadingMotion;
    bool glow = false;
    int current = -1;
    for (std::size_t i = 0; i < tokens.size();) {
        const TokenizedPhrase* best = nullptr;
        for (const auto& p : tokenizedTable()) {
            if (p.tokens.empty() || p.tokens.size() > tokens.size() - i ||
                (best && p.tokens.size() <= best->tokens.size()))
                continue;
            if (std::equal(p.tokens.begin(), p.tokens.end(), tokens.begin() + std::ptrdiff_t(i)))
                best = &p;
        }
        if (!best) {
            ++i;
            continue;
        }
        i += best->tokens.size();
        const int v = best->phrase->value;
        switch (best->phrase->field) {
        case Field::Colour:
            colour = Colour(v);
            break;
        case Field::Size:
            size = Size(v);
            break;
        case Field::Glow:
            glow = true;
            break;
        case Field::Shape:
            facts.objects.push_back({colour, Shape(v), size, leadingMotion, glow});
            current = int(facts.objects.size()) - 1;
            colour.reset();
            size.reset();
            leadingMotion.reset();
            glow = false;
            break;
        case Field::Motion:
            if (current >= 0 && !facts.objects[std::size_t(current)].motion)
                facts.objects[std::size_t(current)].motion = Motion(v);
            else if (current < 0 && !leadingMotion)
                leadingMotion = Motion(v);
            break;
        case Field::Background:
            if (!facts.background)
                facts.background = Background(v);
            break;
        case Field::Camera:
            if (!facts.camera)
                facts.camera = Camera(v);
            break;
        case Field::Light:
            if (!facts.light)
                facts.light = LightDirection(v);
            break;
        case Field::Temperature:
            if (!facts.temperature)
                facts.temperature = Temperature(v);
            break;
        case Field::Intensity:
            if (!facts.intensity)
                facts.intensity = Intensity(v);
            break;
        }
    }
    // A colour named without a shape ("something red moving left") still describes the subject.
    if (facts.objects.empty() && (colour || leadingMotion))
        facts.objects.push_back({colour, std::nullopt, size, leadingMotion, glow});
    return facts;
}

} // namespace kinema::scenes
