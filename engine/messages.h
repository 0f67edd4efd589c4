// The message catalogue: every text a citizen sees, in Russian and Kazakh, in one file so that
// review is one file. Russian texts marked "seed" are the portal guide's to the letter
// (shared/seed); the others follow its style and await the same review as the Kazakh ones
// (shared/GLOSSARY.md marks which Kazakh terms were found in official use).
#pragma once

#include <string>
#include <string_view>

#include "engine/schemas_fwd.h"
#include "engine/types.h"

namespace kezek::messages {

struct Text {
  std::string ru;
  std::string kk;
};

// seed: «Ваша заявка принята. Место в очереди N»
Text ApplicationAccepted(uint64_t position);
// seed status: «Ожидание подтверждения документов»
Text AwaitingDocuments();
// seed: «Ваша заявка на получение ваучера подтверждена. Место в очереди: N»
Text DocumentsConfirmed(uint64_t position);
// seed: «Ваша заявка на получение ваучера отклонена сотрудником: <ФИО>»
Text DocumentsRejected(std::string_view specialist_name);
// seed: «Ребенку <ФИО> выдан ваучер. Подтвердите заинтересованность до <dd.mm.yyyy>»
Text VoucherIssued(std::string_view child_name, LocalDate deadline);
Text InterestConfirmed(LocalDate deadline);
Text ExtensionGranted(LocalDate deadline);
// seed status: «Ожидайте договор от ДО»
Text AwaitingContract();
// seed: «Подпишите договор в течение 5 рабочих дней.» with the date it ends
Text ContractSent(LocalDate deadline);
Text Enrolled(std::string_view kindergarten_name_ru, std::string_view kindergarten_name_kk);
Text VoucherAnnulled(fb::AnnulReason reason);
Text StopListed(LocalDate return_date);
Text ReturnedToQueue(uint64_t position);
Text Archived(fb::ArchiveReason reason);

}  // namespace kezek::messages
