// The message catalogue: every text a citizen sees, in Russian and Kazakh, in one file so that
// review is one file. Russian texts marked "seed" are the portal guide's to the letter
// (shared/seed); the others follow its style and await the same review as the Kazakh ones
// (shared/GLOSSARY.md marks which Kazakh terms were found in official use).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek::messages {

struct Text {
  std::string ru;
  std::string kk;
};

// A notification's arguments as a journal keeps them once templates are posted (fb::Notification):
// each kind takes the ones its text names, in a fixed order (Compose).
struct Args {
  uint8_t variant = 0;      // VoucherAnnulled: its AnnulReason; Archived: its ArchiveReason
  uint64_t number = 0;      // a place in the queue
  LocalDate date{};         // a deadline or a return date
  std::string_view name;    // a name (Enrolled: the ДО's in Russian)
  std::string_view name_kk; // Enrolled: the ДО's name in Kazakh
  bool operator==(const Args&) const = default;  // the same arguments: the same words in one version
};

// A text of the catalogue and its arguments, not yet written out: the engine writes it straight
// into buffers it reuses (Render: no allocation on the fold's path), anyone else takes a Text. A
// name argument is read where it lies: a Message lives for the expression that makes it.
class Message {
 public:
  struct Arg {
    enum class Kind : uint8_t { Text, Number, Date };
    Arg(std::string_view name) : kind(Kind::Text), text(name) {}  // NOLINT: a name
    Arg(uint64_t value) : kind(Kind::Number), number(value) {}  // NOLINT: decimal digits
    Arg(LocalDate date) : kind(Kind::Date), number(static_cast<uint64_t>(static_cast<int64_t>(date.value))) {}  // NOLINT: dd.mm.yyyy
    Kind kind;
    std::string_view text;
    uint64_t number = 0;
  };

  // `ru` and `kk` are the catalogue's patterns, each "{}" replaced by the next argument: `args`
  // in both languages, or `kk_args` in Kazakh when given (a ДО's name in each language).
  Message(std::string_view ru, std::string_view kk) : ru_(ru), kk_(kk) {}
  Message(std::string_view ru, std::string_view kk, std::initializer_list<Arg> args);
  Message(std::string_view ru, std::string_view kk, std::initializer_list<Arg> args, std::initializer_list<Arg> kk_args);

  // Both texts into *ru and *kk (cleared first; their capacity is kept).
  void Render(std::string* ru, std::string* kk) const;
  operator Text() const;  // NOLINT: where a Text is wanted

  // The same arguments in other patterns (REQUIRES: as many "{}" in each as this one's).
  Message With(std::string_view ru, std::string_view kk) const;
  // The arguments as a journal keeps them (Compose(kind, Arguments()) is this message again).
  Args Arguments() const;
  std::string_view ru_pattern() const { return ru_; }
  std::string_view kk_pattern() const { return kk_; }
  size_t ru_args() const { return count_; }
  size_t kk_args() const { return kk_count_; }
  uint8_t variant() const { return variant_; }
  Message& set_variant(uint8_t variant) { variant_ = variant; return *this; }

 private:
  static constexpr size_t kArgsMax = 2;
  std::string_view ru_, kk_;
  uint8_t variant_ = 0;
  std::array<Arg, kArgsMax> args_{Arg(std::string_view{}), Arg(std::string_view{})};
  std::array<Arg, kArgsMax> kk_args_{Arg(std::string_view{}), Arg(std::string_view{})};
  size_t count_ = 0, kk_count_ = 0;
};

// seed: «Ваша заявка принята. Место в очереди N»
Message ApplicationAccepted(uint64_t position);
// seed status: «Ожидание подтверждения документов»
Message AwaitingDocuments();
// seed: «Ваша заявка на получение ваучера подтверждена. Место в очереди: N»
Message DocumentsConfirmed(uint64_t position);
// seed: «Ваша заявка на получение ваучера отклонена сотрудником: <ФИО>»
Message DocumentsRejected(std::string_view specialist_name);
// seed: «Ребенку <ФИО> выдан ваучер. Подтвердите заинтересованность до <dd.mm.yyyy>»
Message VoucherIssued(std::string_view child_name, LocalDate deadline);
Message InterestConfirmed(LocalDate deadline);
Message ExtensionGranted(LocalDate deadline);
// seed status: «Ожидайте договор от ДО»
Message AwaitingContract();
// seed: «Подпишите договор в течение 5 рабочих дней.» with the date it ends
Message ContractSent(LocalDate deadline);
Message Enrolled(std::string_view kindergarten_name_ru, std::string_view kindergarten_name_kk);
Message VoucherAnnulled(fb::AnnulReason reason);
Message StopListed(LocalDate return_date);
Message ReturnedToQueue(uint64_t position);
Message Archived(fb::ArchiveReason reason);

// --- templates (posted with SetMessageTemplates) ---------------------------------------------------

// A text of the catalogue: a kind and, for VoucherAnnulled and Archived, the reason (variant).
struct Key {
  fb::NotificationKind kind;
  uint8_t variant;
};
// Every key, in order: a posting has one template for each.
std::span<const Key> Keys();
// The index of (kind, variant) in Keys(), if it is one.
std::optional<size_t> KeyIndex(fb::NotificationKind kind, uint8_t variant);
// The engine's own message of `kind` with `args` (its variant chooses the text where there are several).
Message Compose(fb::NotificationKind kind, const Args& args);
// The number of "{}" in a pattern.
size_t Holes(std::string_view pattern);
// How many arguments the engine's own text of `key` takes in each language: a template of it has
// as many "{}".
struct HoleCount {
  size_t ru = 0;
  size_t kk = 0;
};
HoleCount OwnHoles(const Key& key);

// A templated notification's arguments as its record keeps them.
Args ArgsOf(const fb::Notification& notification);

// The catalogue's own texts as a posting (what the sample histories post first; a start for a
// corrected translation).
fb::SetMessageTemplatesT BuiltInTemplates();

// The templates of every posted version, version 1 first; a text of version 0 is the catalogue's.
class TemplateBook {
 public:
  // A posting's templates are the next version (REQUIRES: it passed rules::CheckTemplates).
  uint32_t Post(const fb::SetMessageTemplates& posting);
  // The next version from its patterns, one per key in Keys() order (a stored book's); false
  // when there are not as many or one has not the engine's own number of "{}".
  [[nodiscard]] bool Add(std::vector<Text> patterns);
  uint32_t latest() const { return static_cast<uint32_t>(versions_.size()); }
  // The patterns of `version` (1..latest()), one per key in Keys() order.
  const std::vector<Text>& patterns(uint32_t version) const { return versions_.at(version - 1); }
  // `message` in the words of `version` (0 or beyond the latest: the catalogue's own).
  Message Reword(uint32_t version, fb::NotificationKind kind, const Message& message) const;
  // A notification of `kind` with `args` in the words of `version` (as Reword).
  Text Words(uint32_t version, fb::NotificationKind kind, const Args& args) const;
  // What a journal's notification says: its own texts, or its version's templates with its arguments.
  Text TextOf(const fb::Notification& notification) const;

 private:
  std::vector<std::vector<Text>> versions_;  // [version - 1][key index]
};

}  // namespace kezek::messages
