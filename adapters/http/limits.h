// Every limit of the HTTP edge, named in one place (STYLE: a limit on everything).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kezek::adapters::http::limits {

// I/O threads (accept, parse, route, print, write; each connection on its strand); the partition
// thread that logs, folds and commits is one more.
inline constexpr size_t kIoThreads = 2;
inline constexpr size_t kHeaderBytesMax = 8 * 1024;          // all request headers together
inline constexpr size_t kBodyBytesMax = 1024 * 1024;         // one request body
inline constexpr size_t kBatchActionsMax = 1'000;            // actions in one NDJSON batch
inline constexpr size_t kKeyNameBytesMax = 128;              // a key's name in the keys file (said in refusals and logs)
inline constexpr size_t kConnectionsMax = 1'024;             // open connections; then a new one closes the oldest idle
// Open files kept free beside the connections for what the server opens as it runs (the state
// store's new tables, the logs' new segments, checkpoints, an as-of question's logs): under a low
// open-file limit the connection limit is the limit less the files open at start less these, so
// that idle sockets can never leave the partition unable to create a file (it stops then).
inline constexpr size_t kFilesReserved = 256;
inline constexpr size_t kEvictingMax = 16;                   // connections being closed for room at once (past the limit)
inline constexpr size_t kConnectionsMin = 16;                // a limit leaving fewer: serve refuses to start
inline constexpr int kAcceptRetryMilliseconds = 100;         // after a failed accept (out of files): wait, no spin
inline constexpr size_t kActionsInFlightMax = 50'000;        // accepted, not yet answered; beyond: 503
inline constexpr size_t kBatchInputsMax = 4'096;             // inputs in one group commit
inline constexpr int kHeaderTimeoutSeconds = 10;             // to receive the request line and headers
inline constexpr int kBodyTimeoutSeconds = 30;               // to receive the body
inline constexpr int kIdleTimeoutSeconds = 60;               // keep-alive between requests
inline constexpr int kRetryAfterSeconds = 1;                 // told to a client answered 503
inline constexpr int kDrainTimeoutSeconds = 5;               // reading what a refused client still sends
inline constexpr size_t kDrainBytesMax = 16 * 1024 * 1024;   // ... at most this much, then the socket closes
// A clock tick posted by a System key may be at most this far ahead of the server's real clock
// (the engine's own skew for actions ahead of the clock's last tick, kezek::limits::kActionSkewAheadMs).
inline constexpr int64_t kTickAheadOfClockMaxMs = 5 * 60'000;
inline constexpr uint32_t kPageSizeMax = 1'000;              // items on one page of a list
inline constexpr uint32_t kPageSizeDefault = 100;

}  // namespace kezek::adapters::http::limits
