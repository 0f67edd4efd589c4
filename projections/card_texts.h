// What a «Мои заявки» card says, in Russian and Kazakh, in one file so that review is one file
// (as engine/messages.h for notifications). Russian marked "seed" is the portal guide's to the
// letter (shared/seed); Kazakh follows shared/GLOSSARY.md and awaits a native speaker's review.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "engine/messages.h"
#include "engine/schemas_fwd.h"
#include "views_generated.h"

namespace kezek::projections::card_texts {

// seed: «Ожидание подтверждения документов», «Ваучер используется», «Ожидайте договор от ДО»,
// «В архиве», «Стоп-лист».
messages::Text Status(fb::ApplicationStatus status);
// seed: «Общеобразовательная очередь»; «Специальная очередь».
messages::Text QueueType(fb::QueueType type);
// seed: «Казахский».
messages::Text Language(fb::Language language);
// seed: «Виртуальный ваучер».
messages::Text Financing(fb::Financing financing);
// seed: Очередь → Ваучер → Выбор сада → Тип финансирования → Зачисление.
messages::Text StepName(fb::StatusStep step);
// What a step shows in its state. `status`: the application's (before archival, when archived);
// `kindergarten_ru/kk`: the ДО chosen, for «Выбран ...». Empty for a pending step.
messages::Text StepText(fb::StatusStep step, fb::StepState state, fb::ApplicationStatus status,
                        std::string_view kindergarten_ru, std::string_view kindergarten_kk);

// What the card asks the family to do now (ApplicationCard.notice_ru/kk); empty when nothing.
// seed: «Ребенку Тест Тест 1 выдан ваучер. Вам необходимо подтвердить свою заинтересованность в
// получении ваучера. Срок на подтверждение до 10.02.2025» (a voucher issued, its deadline's last
// local day `deadline_date`, «DD.MM.YYYY»).
messages::Text Notice(fb::ApplicationStatus status, std::string_view child_name, std::string_view deadline_date);

// What moved a place (kezek explain), for the family, anonymised: one change of its place and
// its causes summed by kind, e.g. «Место в очереди: 12 → 9 (−3): −2 выданных ваучера, −1 отзыв»;
// an entering: «Место в очереди: 14»; leaving with a voucher: «... Выдан ваучер». `previous` is
// unset for an entering. Russian nouns agree with the number (1 / 2-4 / 5+); Kazakh ones do not
// change after a numeral. Not seed texts: they follow the guide's «Место в очереди».
messages::Text PositionChange(fb::PositionEvent event, std::optional<uint64_t> previous, uint64_t position,
                              std::span<const std::pair<fb::PositionCause, int64_t>> causes);

}  // namespace kezek::projections::card_texts
