// Reference data that arrives as actions: localities, their UTC offsets, ДО and their groups,
// the working-day calendar, and the priority policy (tiers, their order, an optional ratio).
#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <utility>

#include "engine/assert.h"
#include "engine/civil_time.h"
#include "engine/limits.h"
#include "engine/messages.h"
#include "engine/rules.h"

namespace kezek::rules {

namespace {

struct ControlCharacter {
  size_t at = 0;        // its first byte
  uint32_t code = 0;    // its code point
};
// Whether a code point is refused in a name (kInName: invisible, two names that look alike) or in
// any text (kAlways: a control character, or a bidirectional control or mark, which shows the
// letters in another order than they are stored).
enum class Refusal { kNone, kInName, kAlways };
Refusal RefusalOf(uint32_t cp) {
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return Refusal::kAlways;  // C0, DEL, C1
  if (cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
    return Refusal::kAlways;  // directional marks, embeddings, overrides, isolates
  }
  if (cp == 0x2028 || cp == 0x2029) return Refusal::kAlways;  // line and paragraph separators: a line break
  if (cp == 0x00AD || cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x180E || (cp >= 0x200B && cp <= 0x200D) ||
      (cp >= 0x2060 && cp <= 0x2064) || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
      (cp >= 0xE0000 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF)) {
    return Refusal::kInName;  // soft hyphen, joiners, zero widths, Hangul fillers, variation selectors, tags
  }
  return Refusal::kNone;
}

// The code point whose encoding starts at byte `i` of `text` (UTF-8; a sequence cut short by the
// text's end reads zeros for the missing bytes) and how many bytes it takes.
struct CodePoint {
  uint32_t code;
  size_t length;
};
CodePoint CodePointAt(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  const unsigned ch = byte(i);
  if (ch < 0xC2) return {ch, 1};
  if (ch <= 0xDF) return {((ch & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu), 2};
  if (ch <= 0xEF) return {((ch & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu), 3};
  return {((ch & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) | (byte(i + 3) & 0x3Fu), 4};
}

// The first refused character of `text` (RefusalOf): in a name every one; in free text
// (`free_text`) the control and bidirectional ones but \n and \t (an invisible character pasted
// with a reason does no harm there).
std::optional<ControlCharacter> FirstControl(std::string_view text, bool free_text) {
  // Only these bytes can start a refused character: C0, DEL, and the lead bytes of the code
  // points above (C2, CD, D8, E1, E2, E3, EF, F3); Cyrillic and Kazakh letters (D0..D4) pass at once.
  static constexpr auto kSuspect = [] {
    std::array<bool, 256> suspect{};
    for (unsigned b = 0; b < 0x20; ++b) suspect[b] = true;
    for (const unsigned b : {0x7Fu, 0xC2u, 0xCDu, 0xD8u, 0xE1u, 0xE2u, 0xE3u, 0xEFu, 0xF3u}) suspect[b] = true;
    return suspect;
  }();
  for (size_t i = 0; i < text.size(); ++i) {
    if (!kSuspect[static_cast<unsigned char>(text[i])]) continue;
    const uint32_t cp = CodePointAt(text, i).code;
    if (free_text && (cp == '\n' || cp == '\t')) continue;
    const Refusal refusal = RefusalOf(cp);
    if (refusal == Refusal::kAlways || (refusal == Refusal::kInName && !free_text)) return ControlCharacter{i, cp};
  }
  return std::nullopt;
}

// Whether `text` (valid UTF-8) holds no visible character: only spaces (U+0020, U+00A0, U+1680,
// U+2000..U+200A, U+202F, U+205F, U+3000), line breaks and tabs, and the invisible characters.
bool Blank(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto [cp, length] = CodePointAt(text, i);
    const bool space = cp == 0x20 || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x1680 ||
                       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                       cp == 0x3000 || RefusalOf(cp) == Refusal::kInName;
    if (!space) return false;
    i += length;
  }
  return true;
}

}  // namespace

Verdict CheckText(const flatbuffers::String* text, const char* field, bool required, TextKind kind) {
  if (text == nullptr || text->size() == 0) {
    if (required) return Reject(fb::RejectionCode::MissingField, "{} is required", field);
    return std::nullopt;
  }
  if (text->size() > limits::kTextFieldBytesMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "{} has {} bytes, at most {} allowed", field, text->size(),
                  limits::kTextFieldBytesMax);
  }
  if (kind == TextKind::kAny) return std::nullopt;
  // A control character in a name is no name (a NUL, an escape, a carriage return would reach a
  // family's notification, a register printed on paper, a spreadsheet).
  if (const auto control = FirstControl(text->string_view(), kind == TextKind::kLines)) {
    return Reject(fb::RejectionCode::InvalidField, "{} holds the {} character U+{:04X} at byte {}{}", field,
                  RefusalOf(control->code) == Refusal::kInName ? "invisible" : "control", control->code, control->at,
                  kind == TextKind::kLines ? " (free text may hold line feeds and tabs, no other control character)" : "");
  }
  // A required name or reason of spaces alone is none (it was taken: a child named "   ").
  if (required && Blank(text->string_view())) {
    return Reject(fb::RejectionCode::MissingField, "{} is required: it holds only spaces", field);
  }
  return std::nullopt;
}

uint32_t QueueFor(State& s, const QueueKey& key) {
  const auto [it, inserted] = s.queue_index.try_emplace(key, static_cast<uint32_t>(s.queues.size()));
  if (inserted) {
    s.queues.emplace_back(key);
    s.changes.queues.push_back(it->second);
  }
  return it->second;
}

Verdict UpsertLocality(Context& c, const fb::UpsertLocality& a) {
  if (a.locality() == 0) return Reject(fb::RejectionCode::InvalidField, "locality 0 is reserved for defaults");
  if (auto v = CheckText(a.name_ru(), "name_ru", true)) return v;
  if (auto v = CheckText(a.name_kk(), "name_kk", true)) return v;
  if (auto v = CheckText(a.region_code(), "region_code", false)) return v;
  c.state.changes.localities.push_back(LocalityId{a.locality()});
  Locality& locality = c.state.localities[LocalityId{a.locality()}];
  locality.name_ru = a.name_ru()->str();
  locality.name_kk = a.name_kk()->str();
  locality.region_code = a.region_code() ? a.region_code()->str() : std::string{};
  return std::nullopt;
}

Verdict SetUtcOffset(Context& c, const fb::SetUtcOffset& a) {
  if (a.locality() != 0 && !c.state.localities.contains(LocalityId{a.locality()})) {
    return Reject(fb::RejectionCode::UnknownLocality, "locality {} is not in the catalogue", a.locality());
  }
  if (a.offset_minutes() < limits::kUtcOffsetMinutesMin || a.offset_minutes() > limits::kUtcOffsetMinutesMax) {
    return Reject(fb::RejectionCode::InvalidField, "offset_minutes {} is outside -720..840", a.offset_minutes());
  }
  if (a.effective_from_ms() < limits::kInstantMsMin || a.effective_from_ms() > limits::kInstantMsMax) {
    return Reject(fb::RejectionCode::InvalidField, "effective_from_ms {} is outside 2000-2100", a.effective_from_ms());
  }
  c.state.changes.offsets.push_back(LocalityId{a.locality()});
  c.state.offsets.Set(LocalityId{a.locality()}, InstantMs{a.effective_from_ms()}, a.offset_minutes());
  // Deadlines told as local dates end at those dates' ends in the timeline now in force (a
  // decree posted after deadlines were set moved none of them: they passed an hour early).
  ReanchorTimers(c, LocalityId{a.locality()});
  return std::nullopt;
}

Verdict UpsertKindergarten(Context& c, const fb::UpsertKindergarten& a) {
  if (a.kindergarten() == 0) return Reject(fb::RejectionCode::InvalidField, "kindergarten 0 does not exist");
  if (!c.state.localities.contains(LocalityId{a.locality()})) {
    return Reject(fb::RejectionCode::UnknownLocality, "locality {} is not in the catalogue", a.locality());
  }
  if (auto v = CheckText(a.name_ru(), "name_ru", true)) return v;
  if (auto v = CheckText(a.name_kk(), "name_kk", true)) return v;
  const auto existing = c.state.kindergartens.find(KindergartenId{a.kindergarten()});
  if (existing != c.state.kindergartens.end() && existing->second.locality.value != a.locality()) {
    return Reject(fb::RejectionCode::InvalidField, "kindergarten {} cannot move to another locality", a.kindergarten());
  }
  c.state.changes.kindergartens.push_back(KindergartenId{a.kindergarten()});
  Kindergarten& kindergarten = c.state.kindergartens[KindergartenId{a.kindergarten()}];
  kindergarten.locality = LocalityId{a.locality()};
  kindergarten.name_ru = a.name_ru()->str();
  kindergarten.name_kk = a.name_kk()->str();
  return std::nullopt;
}

Verdict UpsertGroup(Context& c, const fb::UpsertGroup& a) {
  if (a.group() == 0) return Reject(fb::RejectionCode::InvalidField, "group 0 does not exist");
  if (!c.state.kindergartens.contains(KindergartenId{a.kindergarten()})) {
    return Reject(fb::RejectionCode::UnknownKindergarten, "kindergarten {} is not in the catalogue", a.kindergarten());
  }
  if (!fb::EnumNameLanguage(a.language())[0] || !fb::EnumNameCorrectionType(a.correction_type())[0]) {
    return Reject(fb::RejectionCode::InvalidField, "an enum field holds a value the schema does not define");
  }
  if (a.min_age_years() > a.max_age_years() || a.max_age_years() > limits::kMaxAgeAtFilingYears) {
    return Reject(fb::RejectionCode::InvalidField, "ages {}-{} are no preschool group", a.min_age_years(),
                  a.max_age_years());
  }
  if (a.capacity() > limits::kGroupCapacityMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "capacity {} exceeds {}", a.capacity(), limits::kGroupCapacityMax);
  }
  const GroupId id{a.group()};
  const auto existing = c.state.groups.find(id);
  if (existing != c.state.groups.end() && existing->second.taken > 0 &&
      existing->second.kindergarten.value != a.kindergarten()) {
    return Reject(fb::RejectionCode::InvalidField, "group {} holds children and cannot move to another kindergarten",
                  a.group());
  }
  c.state.changes.groups.push_back(id);
  Group& group = c.state.groups[id];
  if (group.kindergarten.value != a.kindergarten()) {
    if (group.kindergarten.value != 0) std::erase(c.state.kindergartens.at(group.kindergarten).groups, id);
    auto& list = c.state.kindergartens.at(KindergartenId{a.kindergarten()}).groups;
    list.insert(std::upper_bound(list.begin(), list.end(), id), id);
  }
  // A capacity below the places taken is allowed (the group shrinks as children leave).
  group.kindergarten = KindergartenId{a.kindergarten()};
  group.language = a.language();
  group.min_age_years = a.min_age_years();
  group.max_age_years = a.max_age_years();
  group.correction = a.correction_type();
  group.capacity = a.capacity();
  return std::nullopt;
}

Verdict UpdateCalendar(Context& c, const fb::UpdateCalendar& a) {
  if (a.days() == nullptr || a.days()->size() == 0) {
    return Reject(fb::RejectionCode::MissingField, "days is required");
  }
  if (a.days()->size() > limits::kCalendarDaysPerUpdateMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "{} days exceed {} per update", a.days()->size(),
                  limits::kCalendarDaysPerUpdateMax);
  }
  for (const fb::CalendarDay* day : *a.days()) {
    const auto date = civil::FromYyyymmdd(day->date());
    if (!date) return Reject(fb::RejectionCode::InvalidCalendar, "{} is not a date (yyyymmdd)", day->date());
    if (!fb::EnumNameDayKind(day->kind())[0]) {
      return Reject(fb::RejectionCode::InvalidCalendar, "day {}: unknown kind", day->date());
    }
    if (!WorkingCalendar::KindFitsDay(*date, day->kind())) {
      return Reject(fb::RejectionCode::InvalidCalendar, "day {}: {} does not fall on a {}", day->date(),
                    fb::EnumNameDayKind(day->kind()), civil::IsoWeekday(*date) >= 6 ? "weekend" : "weekday");
    }
    if (auto v = CheckText(day->note(), "note", false, TextKind::kLines)) return v;
  }
  for (const fb::CalendarDay* day : *a.days()) {
    c.state.changes.calendar.push_back(*civil::FromYyyymmdd(day->date()));
    c.state.calendar.SetDay(*civil::FromYyyymmdd(day->date()), day->kind());
  }
  return std::nullopt;
}

Verdict CheckPolicy(const fb::SetPriorityPolicy& a) {
  if (a.tiers() == nullptr || a.tiers()->size() == 0) return Reject(fb::RejectionCode::InvalidPolicy, "no tiers");
  if (a.tiers()->size() > limits::kPriorityTiersMax) {
    return Reject(fb::RejectionCode::LimitExceeded, "{} tiers exceed {}", a.tiers()->size(), limits::kPriorityTiersMax);
  }
  if ((a.ratio_priority() == 0) != (a.ratio_general() == 0) || a.ratio_priority() > limits::kRatioPartMax ||
      a.ratio_general() > limits::kRatioPartMax) {
    return Reject(fb::RejectionCode::InvalidPolicy, "a ratio has both parts 1..{}, or neither", limits::kRatioPartMax);
  }
  std::set<std::string_view> seen;
  bool has_general_line = false;
  for (const fb::PriorityTier* tier : *a.tiers()) {
    if (auto v = CheckText(tier->code(), "tier code", true)) return v;
    // The tiers' order is the order of the queue: a priority tier listed after the general line
    // would still stand before it (priority tiers are one line, served first without a ratio).
    if (has_general_line && !tier->general_line()) {
      return Reject(fb::RejectionCode::InvalidPolicy,
                    "tier {} is a priority tier listed after the general line: priority tiers come first",
                    tier->code()->string_view());
    }
    has_general_line |= tier->general_line();
    if (tier->categories() == nullptr || tier->categories()->size() == 0 ||
        tier->categories()->size() > limits::kCategoriesPerTierMax) {
      return Reject(fb::RejectionCode::InvalidPolicy, "tier {} needs 1..{} categories", tier->code()->string_view(),
                    limits::kCategoriesPerTierMax);
    }
    for (const flatbuffers::String* category : *tier->categories()) {
      if (auto v = CheckText(category, "category", true)) return v;
      if (!seen.insert(category->string_view()).second) {
        return Reject(fb::RejectionCode::InvalidPolicy, "category {} is in two tiers", category->string_view());
      }
    }
  }
  if (!has_general_line) return Reject(fb::RejectionCode::InvalidPolicy, "no tier is the general line");
  return std::nullopt;
}


Verdict CheckTemplates(const fb::SetMessageTemplates& a) {
  const std::span<const messages::Key> keys = messages::Keys();
  if (a.templates() == nullptr || a.templates()->size() != keys.size()) {
    return Reject(fb::RejectionCode::InvalidTemplates, "{} templates, one for each of the {} texts expected",
                  a.templates() ? a.templates()->size() : 0, keys.size());
  }
  std::vector<bool> seen(keys.size());
  for (const fb::MessageTemplate* t : *a.templates()) {
    const std::optional<size_t> index = messages::KeyIndex(t->kind(), t->variant());
    if (!index) {
      return Reject(fb::RejectionCode::InvalidTemplates, "no text is kind {} variant {}", static_cast<unsigned>(t->kind()),
                    t->variant());
    }
    if (seen[*index]) {
      return Reject(fb::RejectionCode::InvalidTemplates, "{} variant {} has two templates",
                    fb::EnumNameNotificationKind(t->kind()), t->variant());
    }
    seen[*index] = true;
    if (auto v = CheckText(t->ru(), "template ru", true, TextKind::kAny)) return v;
    if (auto v = CheckText(t->kk(), "template kk", true, TextKind::kAny)) return v;
    // Words shown to families: no control characters (a NUL, a bell, a line break, C1's CSI).
    for (const flatbuffers::String* text : {t->ru(), t->kk()}) {
      if (FirstControl(text->string_view(), /*free_text=*/false)) {
        return Reject(fb::RejectionCode::InvalidTemplates, "{} variant {} has a control character",
                      fb::EnumNameNotificationKind(t->kind()), t->variant());
      }
    }
    const messages::HoleCount own = messages::OwnHoles({t->kind(), t->variant()});
    const size_t ru = messages::Holes(t->ru()->string_view()), kk = messages::Holes(t->kk()->string_view());
    if (ru != own.ru || kk != own.kk) {
      return Reject(fb::RejectionCode::InvalidTemplates, "{} variant {} takes {} argument(s) in ru and {} in kk, "
                    "the templates have {} and {} \"{{}}\"", fb::EnumNameNotificationKind(t->kind()), t->variant(),
                    own.ru, own.kk, ru, kk);
    }
  }
  return std::nullopt;
}

Verdict SetMessageTemplates(Context& c, const fb::SetMessageTemplates& a) {
  if (auto v = CheckTemplates(a)) return v;
  KEZEK_ASSERT(c.state.templates < UINT32_MAX);
  c.state.templates = c.state.template_book.Post(a);
  c.state.changes.templates = true;
  c.out.MessageTemplatesSet(c.state.templates);
  return std::nullopt;
}

Verdict SetPriorityPolicy(Context& c, const fb::SetPriorityPolicy& a) {
  State& s = c.state;
  const LocalityId locality{a.locality()};
  if (locality.value != 0 && !s.localities.contains(locality)) {
    return Reject(fb::RejectionCode::UnknownLocality, "locality {} is not in the catalogue", a.locality());
  }
  if (auto v = CheckPolicy(a)) return v;
  s.changes.policies.push_back(locality);
  s.policies[locality] = PolicyFrom(a);

  // Re-rank every queue the policy governs; applications not waiting take their new place too,
  // for when they (re-)enter a queue.
  const auto governed = [&](LocalityId owner) {
    return owner == locality || (locality.value == 0 && !s.policies.contains(owner));
  };
  for (uint32_t i = 0; i < s.queues.size(); ++i) {
    if (governed(s.queues[i].key().locality)) s.queue(i).Clear();
  }
  for (const ApplicationId id : s.ApplicationNumbers()) {
    const Application& seen = std::as_const(s).app(id);
    if (seen.status == fb::ApplicationStatus::Archived || !governed(seen.locality)) continue;
    Application& app = s.app(id);
    app.place = PlaceOrLast(PolicyOf(s, app.locality), s.categories[app.category]);
    if (app.status == fb::ApplicationStatus::InQueue) {
      s.queue(app.queue).Insert(QueueEntry{app.place.tier, app.filed_at, app.id}, app.place.line);
    }
  }
  return std::nullopt;
}

}  // namespace kezek::rules
