// The JSON bodies of `kezek serve` that are not read-model views: errors and service status, as
// tables of schemas/http.fbs printed by FlatBuffers' printer (DESIGN §5: the schemas are the one
// definition of every body; no hand-written DTO).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/codec.h"

namespace kezek::adapters::http {

// {code, message}: every failure that never reached the journal.
std::string ErrorJson(events::Codec& codec, std::string_view code, std::string_view message);
// /healthz and /readyz.
std::string StatusJson(events::Codec& codec, std::string_view status, uint64_t journal_records,
                       uint64_t projected_records, int64_t engine_time_ms, uint32_t partitions,
                       uint64_t lag_offsets, std::string_view broker = {}, uint64_t broker_unreachable_ms = 0);

}  // namespace kezek::adapters::http
