// The limits of the adapters (the runtime and the CLI), named in one place. The engine's are in
// engine/limits.h, the codec's in events/limits.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kezek::limits {

// Inputs folded per batch of the durable runtime (one fsync each for the actions log and the
// journal): the group commit's size.
inline constexpr size_t kBatchInputsDefault = 4'096;
inline constexpr size_t kBatchInputsMax = 1'000'000;
// A streaming `kezek append` closes a batch when it is full or when no more input arrives within
// this many milliseconds: one line through a pipe is answered at once, not after 4,096 lines.
inline constexpr int kBatchWaitMsMax = 10;
// ... or when its first line has waited this long: a steady trickle (a line every few milliseconds)
// is answered within about this, not once 4,096 lines have come.
inline constexpr int kBatchAgeMsMax = 100;
// `kezek append` hands the runtime up to this many lines at a time (whole batches; one batch if a
// batch is larger) when they are ready: the runtime logs each batch on a helper thread while the
// batch before it is folded (Partition::Append), which needs more than one batch in hand.
inline constexpr size_t kAppendLinesHeld = 65'536;
// A --config file and a keys file are read whole, at most this many bytes (a mistaken /dev/zero
// is refused, not read without end).
inline constexpr size_t kConfigBytesMax = 64 * 1024;
inline constexpr size_t kKeysFileBytesMax = 4 * 1024 * 1024;
// A read-only opening (status, journal, projections verify) beside a live writer: attempts to
// load the state when the writer's flush or compaction removed a file the view named.
inline constexpr int kReadOnlyOpenAttempts = 5;
// The line reader's read size.
inline constexpr size_t kLineReadChunkBytes = 64 * 1024;

}  // namespace kezek::limits
