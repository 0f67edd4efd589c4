// The message catalogue: every text a citizen sees, in Russian and Kazakh, in one file so that
// review is one file. Russian texts marked "seed" are the portal guide's to the letter
// (shared/seed); the others follow its style and await the same review as the Kazakh ones
// (shared/GLOSSARY.md marks which Kazakh terms were found in official use).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek::messages {

struct Text {
  std::string ru;
  std::string kk;
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

 private:
  static constexpr size_t kArgsMax = 2;
  std::string_view ru_, kk_;
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

}  // namespace kezek::messages
