// libFuzzer target (scripts/fuzz.sh): every input is a JSON line for Codec::ParseAction; the fast
// path (events/json_decoder.h, falling back to FlatBuffers' parser) and FlatBuffers' parser alone
// must give the same verdict, reason and canonical bytes. A difference aborts (a finding, kept by
// libFuzzer as a crash file); so does any crash or sanitizer report in either path.
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "events/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kezek::events::Codec* codec = new kezek::events::Codec();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  std::vector<uint8_t> fast, slow;
  const kezek::events::CodecError a = codec->ParseAction(line, &fast);
  const kezek::events::CodecError b = codec->ParseActionByParser(line, &slow);
  if (a.code != b.code || a.reason != b.reason || fast != slow) {
    std::fprintf(stderr, "json_decoder_fuzz: the fast path and the parser differ: fast %d '%s' (%zu bytes), parser %d '%s' (%zu bytes)\n",
                 static_cast<int>(a.code), a.reason.c_str(), fast.size(), static_cast<int>(b.code), b.reason.c_str(),
                 slow.size());
    std::abort();
  }
  return 0;
}
