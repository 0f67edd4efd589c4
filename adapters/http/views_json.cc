#include "adapters/http/views_json.h"

#include <flatbuffers/flatbuffers.h>

#include "http_generated.h"

namespace kezek::adapters::http {

std::string ErrorJson(events::Codec& codec, std::string_view code, std::string_view message) {
  flatbuffers::FlatBufferBuilder builder(256);
  builder.Finish(fb::CreateHttpError(builder, builder.CreateString(code), builder.CreateString(message)));
  return codec.ViewToJson("HttpError", builder.GetBufferSpan());
}

std::string StatusJson(events::Codec& codec, std::string_view status, uint64_t journal_records,
                       uint64_t projected_records, int64_t engine_time_ms, uint32_t partitions,
                       uint64_t lag_offsets, std::string_view broker, uint64_t broker_unreachable_ms) {
  flatbuffers::FlatBufferBuilder builder(256);
  const auto status_text = builder.CreateString(status);
  const auto broker_text = broker.empty() ? flatbuffers::Offset<flatbuffers::String>() : builder.CreateString(broker);
  builder.Finish(fb::CreateServiceStatus(builder, status_text, journal_records, projected_records, engine_time_ms,
                                         partitions, lag_offsets, broker_text, broker_unreachable_ms));
  return codec.ViewToJson("ServiceStatus", builder.GetBufferSpan());
}

}  // namespace kezek::adapters::http
